"""Retries, final failures and endpoint health, against a real receiver."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from authsvc.db import utcnow
from tests.conftest import unique
from tests.webhooks.conftest import create_webhook, deliveries


def _ids(received):
    return [r.headers["webhook-id"] for r in received]


def test_failing_twice_then_answering_200_succeeds_on_the_third_attempt_with_one_id(
    hooks, receiver, drain
):
    hook = create_webhook(hooks, receiver.url("flaky"))
    receiver.script("flaky", status=503, times=2, body=b"try later")
    hooks.post("/users", json={"email": "retry@example.com"})
    drain()
    got = receiver.at("flaky")
    assert [r.status for r in got] == [503, 503, 200]
    assert len(set(_ids(got))) == 1, "every retry carries the same webhook-id"
    [row] = deliveries(hooks, hook["id"])
    assert (row["state"], row["attempt"], row["status_code"]) == ("succeeded", 3, 200)


def test_delivery_fails_for_good_after_the_last_scheduled_attempt(hooks, receiver, drain):
    hook = create_webhook(hooks, receiver.url("down"))
    receiver.script("down", status=500, times=None, body=b"x" * 5000)
    hooks.post("/users", json={"email": "down@example.com"})
    drain()
    # Schedule [0, 0, 0]: the first attempt and three retries.
    assert len(receiver.at("down")) == 4
    [row] = deliveries(hooks, hook["id"], state="failed")
    assert row["attempt"] == 4 and row["status_code"] == 500 and row["next_attempt_at"] is None
    assert row["error"] == "HTTP 500"
    assert len(row["response_body"].encode()) == 1024, "the snippet is capped at 1 KiB"
    assert hooks.get(f"/webhooks/{hook['id']}").json["failing_since"] is not None


def test_client_errors_are_final_and_redirects_are_failures_not_followed(hooks, receiver, drain):
    bad = create_webhook(hooks, receiver.url("bad"))
    moved = create_webhook(hooks, receiver.url("moved"))
    receiver.script("bad", status=400, times=None)
    receiver.script("moved", status=302, times=None, headers={"location": receiver.url("bad")})
    hooks.post("/users", json={"email": "c@example.com"})
    drain()
    assert len(receiver.at("bad")) == 1, "a 400 is not retried (and the redirect not followed)"
    assert deliveries(hooks, bad["id"])[0]["state"] == "failed"
    assert len(receiver.at("moved")) == 4, "a 3xx is a failure, retried like a 5xx"
    [row] = deliveries(hooks, moved["id"])
    assert row["state"] == "failed" and "redirects are not followed" in row["error"]


def test_retry_after_is_honoured(hooks, receiver, drain):
    hook = create_webhook(hooks, receiver.url("busy"))
    receiver.script("busy", status=429, headers={"retry-after": "120"})
    hooks.post("/users", json={"email": "busy@example.com"})
    before = utcnow()
    drain()
    assert len(receiver.at("busy")) == 1, "the retry waits for Retry-After, not the 0 s schedule"
    [row] = deliveries(hooks, hook["id"])
    assert row["state"] == "pending" and row["status_code"] == 429
    next_at = datetime.fromisoformat(row["next_attempt_at"])
    assert next_at >= before + timedelta(seconds=119)


def test_a_hanging_receiver_times_out_and_is_retried(hooks, receiver, drain, webhook_config):
    webhook_config(WEBHOOKS_TIMEOUT_SECONDS=0.5)
    hook = create_webhook(hooks, receiver.url("slow"))
    receiver.script("slow", hang=1.5)
    hooks.post("/users", json={"email": "slow@example.com"})
    drain()
    [row] = deliveries(hooks, hook["id"])
    assert row["state"] == "succeeded" and row["attempt"] == 2
    first = receiver.at("slow")[0]
    assert first.status == 200  # The receiver answered, but after the sender gave up.


def test_410_gone_disables_the_endpoint_with_an_event_and_an_email_to_admins(
    app, hooks, receiver, drain, mailbox, tenant
):
    from authsvc.admins.service import create_admin
    from authsvc.tenants.service import get_tenant_by_slug

    admin_email = f"{unique('admin')}@example.com"
    with app.app_context():
        create_admin(admin_email, "admin password 123", get_tenant_by_slug(tenant[1]))
    hook = create_webhook(hooks, receiver.url("gone"))
    receiver.script("gone", status=410, times=None)
    hooks.post("/users", json={"email": "g1@example.com"})
    drain()
    hooks.post("/users", json={"email": "g2@example.com"})
    drain()
    assert len(receiver.at("gone")) == 1, "nothing is sent after the 410"
    after = hooks.get(f"/webhooks/{hook['id']}").json
    assert after["is_active"] is False and "410" in after["disabled_reason"]
    [event] = hooks.get("/events", query_string={"type": "webhook.disabled"}).json["items"]
    assert event["data"]["webhook"]["id"] == hook["id"] and "410" in event["data"]["reason"]
    [mail] = mailbox.to(admin_email)
    assert (
        "disabled" in mail["Subject"]
        and receiver.url("gone") in mail.get_body(("plain",)).get_content()
    )


def test_endpoint_failing_longer_than_the_limit_is_disabled(hooks, receiver, drain, webhook_config):
    webhook_config(WEBHOOKS_DISABLE_AFTER_SECONDS=0)
    webhook_config(WEBHOOK_RETRY_SCHEDULE=[])
    hook = create_webhook(hooks, receiver.url("broken"))
    receiver.script("broken", status=502, times=None)
    hooks.post("/users", json={"email": "b@example.com"})
    drain()
    after = hooks.get(f"/webhooks/{hook['id']}").json
    assert after["is_active"] is False and "failed since" in after["disabled_reason"]
    # Re-enabling by hand starts afresh.
    again = hooks.patch(f"/webhooks/{hook['id']}", json={"is_active": True}).json
    assert again["is_active"] and again["disabled_reason"] is None
    assert again["failing_since"] is None


def test_a_failed_delivery_can_be_retried_by_hand(hooks, receiver, drain, webhook_config):
    webhook_config(WEBHOOK_RETRY_SCHEDULE=[])
    hook = create_webhook(hooks, receiver.url("later"))
    receiver.script("later", status=500)
    hooks.post("/users", json={"email": "later@example.com"})
    drain()
    [failed] = deliveries(hooks, hook["id"])
    assert failed["state"] == "failed"
    queued = hooks.post(f"/webhooks/{hook['id']}/deliveries/{failed['id']}/retry")
    assert queued.status_code == 202 and queued.json["state"] == "pending"
    drain()
    [row] = deliveries(hooks, hook["id"])
    assert (row["state"], row["attempt"], row["status_code"]) == ("succeeded", 2, 200)
    bodies = [json.loads(r.body) for r in receiver.at("later")]
    assert bodies[0] == bodies[1]
