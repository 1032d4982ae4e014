"""A user change reaches a real receiver as a signed Standard Webhooks message."""

from __future__ import annotations

import json

from standardwebhooks import Webhook

from tests.webhooks.conftest import create_webhook, deliveries


def test_created_user_is_delivered_signed_as_the_api_shows_it(hooks, receiver, drain, make_user):
    hook = create_webhook(hooks, receiver.url("a"), event_types=["user.*"])
    created = hooks.post("/users", json={"email": "ada@example.com", "password": "long enough pw"})
    assert created.status_code == 201
    drain()
    [got] = receiver.at("a")
    payload = Webhook(hook["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "user.created"
    assert payload["data"]["user"] == created.json
    assert "password" not in got.body.decode() and "hash" not in got.body.decode()
    assert payload["timestamp"].endswith("Z")
    event = hooks.get("/events", query_string={"type": "user.created"}).json["items"][-1]
    assert got.headers["webhook-id"] == event["id"]
    [row] = deliveries(hooks, hook["id"])
    assert row["state"] == "succeeded" and row["attempt"] == 1 and row["status_code"] == 200
    assert row["response_body"] == "ok" and row["latency_ms"] >= 0


def test_only_subscribed_event_types_are_delivered(hooks, receiver, drain):
    create_webhook(hooks, receiver.url("users"), event_types=["user.deleted"])
    create_webhook(hooks, receiver.url("all"), event_types=["*"])
    user = hooks.post("/users", json={"email": "bo@example.com"}).json
    hooks.delete(f"/users/{user['id']}")
    drain()
    assert [json.loads(r.body)["type"] for r in receiver.at("users")] == ["user.deleted"]
    assert sorted(json.loads(r.body)["type"] for r in receiver.at("all")) == [
        "user.created",
        "user.deleted",
    ]


def test_rolled_back_user_change_emits_and_sends_nothing(hooks, receiver, drain):
    """A create that fails (duplicate email -> 409) leaves no event and no delivery."""
    hook = create_webhook(hooks, receiver.url("rb"))
    assert hooks.post("/users", json={"email": "dup@example.com"}).status_code == 201
    drain()
    before = hooks.get("/events").json["items"]
    refused = hooks.post("/users", json={"email": "DUP@example.com", "roles": ["nope"]})
    assert refused.status_code in (409, 422)
    refused = hooks.post("/users", json={"email": "new@example.com", "roles": ["nope"]})
    assert refused.status_code == 422
    drain()
    assert hooks.get("/events").json["items"] == before
    assert len(receiver.at("rb")) == 1
    assert len(deliveries(hooks, hook["id"])) == 1


def test_other_tenants_events_never_reach_my_webhook(
    hooks, receiver, drain, api_client, other_tenant
):
    create_webhook(hooks, receiver.url("mine"))
    other = api_client(other_tenant, ["users:write"])
    assert other.post("/users", json={"email": "x@example.com"}).status_code == 201
    drain()
    assert receiver.at("mine") == []


def test_test_endpoint_sends_webhook_test_to_that_webhook_only(hooks, receiver, drain):
    first = create_webhook(hooks, receiver.url("one"), event_types=["*"])
    create_webhook(hooks, receiver.url("two"), event_types=["*"])
    queued = hooks.post(f"/webhooks/{first['id']}/test")
    assert queued.status_code == 202 and queued.json["state"] == "pending"
    drain()
    [got] = receiver.at("one")
    assert Webhook(first["secret"]).verify(got.body, got.headers)["type"] == "webhook.test"
    assert receiver.at("two") == []
