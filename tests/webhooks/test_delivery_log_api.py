"""The delivery log through the API: a delivery with each attempt as signed and answered,
and replaying failed deliveries since a moment."""

from __future__ import annotations

from standardwebhooks import Webhook

from tests.webhooks.conftest import create_webhook, deliveries


def test_a_delivery_shows_every_attempt_as_the_receiver_got_it(hooks, receiver, drain):
    hook = create_webhook(hooks, receiver.url("api-log"), event_types=["user.*"])
    receiver.script("api-log", status=429, headers={"retry-after": "0"}, body=b"slow down")
    hooks.post("/users", json={"email": "api-log@example.com"})
    drain()
    [row] = deliveries(hooks, hook["id"])
    detail = hooks.get(f"/webhooks/{hook['id']}/deliveries/{row['id']}")
    assert detail.status_code == 200
    first, second = detail.json["attempts"]
    got = receiver.at("api-log")
    assert [a["number"] for a in (first, second)] == [1, 2] and detail.json["attempt"] == 2
    assert (first["status_code"], first["response_body"]) == (429, "slow down")
    assert first["response_headers"]["retry-after"] == "0"
    for attempt, received in zip((first, second), got, strict=True):
        assert attempt["request_body"].encode() == received.body
        assert (
            attempt["request_headers"]["webhook-signature"] == received.headers["webhook-signature"]
        )
        Webhook(hook["secret"]).verify(attempt["request_body"], attempt["request_headers"])
    assert second["status_code"] == 200 and second["latency_ms"] >= 0


def test_replay_queues_failed_deliveries_since_a_moment(hooks, receiver, drain, webhook_config):
    webhook_config(WEBHOOK_RETRY_SCHEDULE=[])
    hook = create_webhook(hooks, receiver.url("api-replay"), event_types=["user.*"])
    receiver.script("api-replay", status=500, times=2)
    hooks.post("/users", json={"email": "r1@example.com"})
    hooks.post("/users", json={"email": "r2@example.com"})
    drain()
    url = f"/webhooks/{hook['id']}/replay"
    assert hooks.post(url, json={"since": "2000-01-01T00:00:00"}).status_code == 422, "no zone"
    assert hooks.post(url, json={"since": "soon"}).status_code == 422
    assert hooks.post(url, json={}).status_code == 422
    later = hooks.post(url, json={"since": "2999-01-01T00:00:00Z"})
    assert later.status_code == 202 and later.json == {"replayed": 0}
    replayed = hooks.post(url, json={"since": "2000-01-01T00:00:00Z"})
    assert replayed.status_code == 202 and replayed.json == {"replayed": 2}
    drain()
    assert {d["state"] for d in deliveries(hooks, hook["id"])} == {"succeeded"}
    hooks.patch(f"/webhooks/{hook['id']}", json={"is_active": False})
    assert hooks.post(url, json={"since": "2000-01-01T00:00:00Z"}).status_code == 409


def test_another_webhooks_delivery_id_is_not_found(hooks, receiver, drain):
    one = create_webhook(hooks, receiver.url("one"))
    two = create_webhook(hooks, receiver.url("two"))
    hooks.post(f"/webhooks/{one['id']}/test")
    drain()
    [row] = deliveries(hooks, one["id"])
    assert hooks.get(f"/webhooks/{two['id']}/deliveries/{row['id']}").status_code == 404
    assert hooks.get(f"/webhooks/{one['id']}/deliveries/not-a-uuid").status_code in (404, 422)
