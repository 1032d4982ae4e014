"""One delivery attempt: build the Standard Webhooks message, send it, record the outcome.

Runs under ``tenant_context`` of the delivery's tenant, so every read and
write here is scoped like a request of that tenant. The outcome decides the
delivery's next state: succeeded; pending again after the next back-off
step (the retry schedule with jitter, at least ``Retry-After``); or failed
after the last attempt or on a final answer. Endpoint health is tracked on
the endpoint: a 410 disables it at once, and so does failing without a
success for ``WEBHOOKS_DISABLE_AFTER_SECONDS``.
"""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from authsvc.webhooks import health, sender, signing
from authsvc.webhooks.delivery import Claimed
from authsvc.webhooks.models import FAILED, PENDING, SUCCEEDED, WebhookDelivery

log = logging.getLogger(__name__)
MAX_RETRY_AFTER_SECONDS = 24 * 3600
# A success refreshes last_success_at at most this often, to keep a busy endpoint's row cool.
SUCCESS_TOUCH_SECONDS = 60


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def message(claimed: Claimed) -> bytes:
    """The body: ``{"type", "timestamp", "data"}``; data is the event's public payload."""
    body = {
        "type": claimed.event_type,
        "timestamp": rfc3339(claimed.event_created_at),
        "data": claimed.event_data,
    }
    return json.dumps(body, separators=(",", ":"), default=str).encode()


def signing_secrets(claimed: Claimed, app_secret: str, now: datetime) -> list[str]:
    """The current secret, plus the previous one while its rotation grace period lasts."""
    secrets = [signing.unseal(claimed.secret_sealed, app_secret)]
    expires = claimed.previous_secret_expires_at
    if claimed.previous_secret_sealed and expires is not None and expires > now:
        secrets.append(signing.unseal(claimed.previous_secret_sealed, app_secret))
    return secrets


def next_delay(attempt: int, outcome: sender.Outcome, schedule: list[int]) -> float | None:
    """Seconds until the next attempt, or None when this was the last one."""
    if not outcome.retry or attempt > len(schedule):
        return None
    base = schedule[attempt - 1]
    # Jitter spreads retries of many deliveries that failed together (receiver outage).
    delay = base * random.uniform(0.9, 1.1)
    if outcome.retry_after is not None:
        delay = max(delay, min(outcome.retry_after, MAX_RETRY_AFTER_SECONDS))
    return delay


def perform(app: Flask, worker_id: str, client, claimed: Claimed) -> sender.Outcome:
    """Send one attempt and record it; used by the worker's delivery pool threads."""
    with app.app_context(), tenant_context(claimed.tenant_id):
        config = current_app.config
        now = utcnow()
        body = message(claimed)
        headers = signing.headers(
            signing_secrets(claimed, config["SECRET_KEY"], now), str(claimed.event_id), now, body
        )
        outcome = sender.send(
            client,
            claimed.url,
            body,
            headers,
            config["WEBHOOK_ALLOW_PRIVATE_TARGETS"],
            config["WEBHOOKS_TIMEOUT_SECONDS"],
        )
        record(worker_id, claimed, outcome, config["WEBHOOK_RETRY_SCHEDULE"])
        return outcome


def record(worker_id: str, claimed: Claimed, outcome: sender.Outcome, schedule) -> None:
    now = utcnow()
    attempt = claimed.attempts + 1
    values = {
        "attempts": attempt,
        "locked_by": None,
        "locked_until": None,
        "last_status_code": outcome.status_code,
        "last_latency_ms": outcome.latency_ms,
        "last_error": outcome.error,
        "last_response": outcome.response,
        "updated_at": now,
    }
    delay = None if outcome.success else next_delay(attempt, outcome, schedule)
    if outcome.success:
        values.update(state=SUCCEEDED, completed_at=now, next_attempt_at=None)
    elif delay is not None:
        values.update(state=PENDING, next_attempt_at=now + timedelta(seconds=delay))
    else:
        values.update(state=FAILED, completed_at=now, next_attempt_at=None)
    updated = db.session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == claimed.id, WebhookDelivery.locked_by == worker_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if updated.rowcount != 1:
        # The lease ran out and another worker owns the delivery now.
        log.warning("delivery %s: lease lost before recording the attempt", claimed.id)
        db.session.rollback()
        return
    if outcome.success:
        stale = claimed.last_success_at is None or claimed.last_success_at < now - timedelta(
            seconds=SUCCESS_TOUCH_SECONDS
        )
        if claimed.failing_since is not None or stale:
            health.mark_success(claimed.endpoint_id, now)
    else:
        health.mark_failure(claimed.endpoint_id, claimed.failing_since, now, outcome)
    db.session.commit()
