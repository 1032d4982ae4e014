"""Recording attempts in batches: each delivery keeps its own outcome and lease."""

from __future__ import annotations

import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from authsvc.webhooks.delivery import attempt, fanout
from authsvc.webhooks.delivery import claims as delivery
from authsvc.webhooks.delivery.sender import Outcome
from authsvc.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.conftest import unique
from tests.webhooks.conftest import create_webhook, deliveries

WORKER = "test-recorder"
OK = Outcome(True, False, 200, 5, None, "fine")
BUSY = Outcome(False, True, 503, 7, "HTTP 503", "busy")
BAD = Outcome(False, False, 400, 9, "HTTP 400", "bad request")


def _claim(app, hooks, count: int) -> list[delivery.Claimed]:
    """Emit ``count`` events, fan them out and lease every delivery to WORKER."""
    for _ in range(count):
        email = f"{unique('rec')}@example.com"
        assert hooks.post("/users", json={"email": email}).status_code == 201
    fanout.fan_out(app)
    rows = delivery.claim(app, WORKER, 100, {})
    assert len(rows) == count
    return rows


def test_one_batch_records_each_deliverys_own_outcome(app, hooks, receiver, drain, webhook_config):
    webhook_config(WEBHOOKS_PER_ENDPOINT_CONCURRENCY=10)
    hook = create_webhook(hooks, receiver.url("batch"))
    rows = _claim(app, hooks, 3)
    outcomes = dict(zip((row.id for row in rows), (OK, BUSY, BAD), strict=True))

    assert attempt.record(app, WORKER, [(row, outcomes[row.id]) for row in rows]) == 3

    listed = {item["id"]: item for item in deliveries(hooks, hook["id"])}
    # Keyed by the outcome each delivery was given.
    got = {outcomes[row.id]: listed[str(row.id)] for row in rows}
    ok, busy, bad = got[OK], got[BUSY], got[BAD]
    assert (ok["state"], ok["status_code"], ok["response_body"]) == ("succeeded", 200, "fine")
    assert ok["completed_at"] and ok["next_attempt_at"] is None
    assert (busy["state"], busy["error"], busy["latency_ms"]) == ("pending", "HTTP 503", 7)
    assert busy["next_attempt_at"] and busy["completed_at"] is None
    assert (bad["state"], bad["status_code"], bad["response_body"]) == (
        "failed",
        400,
        "bad request",
    )
    assert all(item["attempt"] == 1 for item in got.values())
    # Every lease is released: the retry is claimable again at once (schedule [0, 0, 0]).
    [again] = delivery.claim(app, WORKER, 100, {})
    assert again.id == next(row.id for row in rows if outcomes[row.id] is BUSY)


def test_a_lost_lease_drops_only_that_result(app, hooks, receiver, drain, tenant, webhook_config):
    webhook_config(WEBHOOKS_PER_ENDPOINT_CONCURRENCY=10)
    hook = create_webhook(hooks, receiver.url("lease"))
    kept, lost = _claim(app, hooks, 2)
    with app.app_context(), tenant_context(tenant[0]):
        # The lease ran out and another worker took the delivery over.
        db.session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == lost.id)
            .values(locked_by="someone-else")
        )
        db.session.commit()

    assert attempt.record(app, WORKER, [(kept, OK), (lost, BAD)]) == 1

    by_id = {item["id"]: item for item in deliveries(hooks, hook["id"])}
    assert by_id[str(kept.id)]["state"] == "succeeded"
    assert (by_id[str(lost.id)]["state"], by_id[str(lost.id)]["attempt"]) == ("pending", 0)
    with app.app_context(), tenant_context(tenant[0]):
        holder = db.session.scalar(
            sa.select(WebhookDelivery.locked_by).where(WebhookDelivery.id == lost.id)
        )
        endpoint = db.session.get(WebhookEndpoint, (tenant[0], lost.endpoint_id))
        assert holder == "someone-else"
        assert endpoint.failing_since is None, "a dropped result does not count against health"


def _failing_since(app, tenant_id, endpoint_id):
    with app.app_context(), tenant_context(tenant_id):
        return db.session.get(WebhookEndpoint, (tenant_id, endpoint_id)).failing_since


def test_health_follows_the_order_attempts_finished_in_within_a_batch(
    app, hooks, receiver, drain, tenant, webhook_config
):
    webhook_config(WEBHOOKS_PER_ENDPOINT_CONCURRENCY=10)
    create_webhook(hooks, receiver.url("health"))
    first, second = _claim(app, hooks, 2)
    attempt.record(app, WORKER, [(first, OK), (second, BAD)])
    assert _failing_since(app, tenant[0], first.endpoint_id) is not None

    third, fourth = _claim(app, hooks, 2)
    attempt.record(app, WORKER, [(third, BAD), (fourth, OK)])
    assert _failing_since(app, tenant[0], first.endpoint_id) is None
