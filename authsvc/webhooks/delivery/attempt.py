"""One delivery attempt: build the Standard Webhooks message, send it, record the outcome.

Sending needs no database. Recording takes the outcomes of many attempts at
once (see :mod:`authsvc.webhooks.delivery.outcomes`); the endpoint health that follows
from each is written under ``tenant_context`` of its tenant, scoped like a
request of that tenant. The outcome decides the
delivery's next state: succeeded; pending again after the next back-off
step (the retry schedule with jitter, at least ``Retry-After``); or failed
after the last attempt or on a final answer. Endpoint health is tracked on
the endpoint: a 410 disables it at once, and so does failing without a
success for ``WEBHOOKS_DISABLE_AFTER_SECONDS``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.metrics import instruments
from authsvc.tenancy import platform_scope, tenant_context
from authsvc.webhooks import signing
from authsvc.webhooks.delivery import health, outcomes, sender
from authsvc.webhooks.delivery.claims import Claimed
from authsvc.webhooks.models import FAILED, PENDING, SUCCEEDED, WebhookAttempt

log = logging.getLogger(__name__)
MAX_RETRY_AFTER_SECONDS = 24 * 3600
# A success refreshes last_success_at at most this often, to keep a busy endpoint's row cool.
SUCCESS_TOUCH_SECONDS = 60
#: The attempt metric's outcome for each state an attempt leaves its delivery in.
ATTEMPT_OUTCOMES = {SUCCEEDED: "succeeded", PENDING: "retrying", FAILED: "failed"}


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


def send(app: Flask, client, claimed: Claimed) -> sender.Outcome:
    """Build, sign and send one attempt; touches no database (the pool's send threads)."""
    config = app.config
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
    return dataclasses.replace(outcome, request_headers=headers, request_body=body, sent_at=now)


def perform(app: Flask, worker_id: str, client, claimed: Claimed) -> sender.Outcome:
    """Send one attempt and record it at once."""
    outcome = send(app, client, claimed)
    record(app, worker_id, [(claimed, outcome)])
    return outcome


def record(app: Flask, worker_id: str, results: list[tuple[Claimed, sender.Outcome]]) -> int:
    """Record finished attempts in one transaction; returns how many were still leased.

    Results whose lease ran out (another worker owns the delivery now) are dropped
    with a warning, and so is their effect on the endpoint's health.
    """
    with app.app_context():
        now = utcnow()
        schedule = current_app.config["WEBHOOK_RETRY_SCHEDULE"]
        rows = [_outcome_values(claimed, outcome, now, schedule) for claimed, outcome in results]
        kept = outcomes.write(worker_id, rows)
        recorded = [(c, o) for c, o in results if (c.tenant_id, c.id) in kept]
        for claimed, _outcome in results:
            if (claimed.tenant_id, claimed.id) not in kept:
                log.warning("delivery %s: lease lost before recording the attempt", claimed.id)
        _log_attempts(recorded, now, current_app.config["WEBHOOKS_LOG_BODY_BYTES"])
        _track_health(recorded, now)
        db.session.commit()
        for row, (claimed, outcome) in zip(rows, results, strict=True):
            if (claimed.tenant_id, claimed.id) in kept:
                instruments.webhook_attempt(ATTEMPT_OUTCOMES[row["state"]], outcome.latency_ms)
        return len(recorded)


def _log_attempts(recorded: list[tuple[Claimed, sender.Outcome]], now: datetime, cap: int) -> None:
    """One delivery-log row per recorded attempt, in the transaction of its outcome."""
    if not recorded:
        return
    rows = [
        {
            "tenant_id": claimed.tenant_id,
            "delivery_id": claimed.id,
            "number": claimed.attempts + 1,
            "sent_at": outcome.sent_at or now,
            "latency_ms": outcome.latency_ms,
            "status_code": outcome.status_code,
            "error": outcome.error,
            "request_headers": outcome.request_headers or {},
            "request_body": (outcome.request_body or b"")[:cap].decode("utf-8", errors="replace"),
            "response_headers": outcome.response_headers,
            "response_body": outcome.response,
        }
        for claimed, outcome in recorded
    ]
    # Rows of many tenants in one statement: each row names its tenant explicitly.
    with platform_scope():
        db.session.execute(sa.insert(WebhookAttempt), rows)


def _outcome_values(claimed: Claimed, outcome: sender.Outcome, now: datetime, schedule) -> dict:
    """The delivery row's new values after this attempt."""
    attempt = claimed.attempts + 1
    values = {
        "tenant_id": claimed.tenant_id,
        "id": claimed.id,
        "attempts": attempt,
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
        retry_at = now + timedelta(seconds=delay)
        values.update(state=PENDING, completed_at=None, next_attempt_at=retry_at)
    else:
        values.update(state=FAILED, completed_at=now, next_attempt_at=None)
    return values


def _track_health(recorded: list[tuple[Claimed, sender.Outcome]], now: datetime) -> None:
    """Endpoint health after these attempts, in the order they finished.

    A success touches the endpoint at most once per batch, and only when it was
    failing or its ``last_success_at`` is stale; a success after a failure of
    the same batch always does, so it resets the failure clock.
    """
    last: dict[uuid.UUID, bool] = {}
    touch_before = now - timedelta(seconds=SUCCESS_TOUCH_SECONDS)
    for claimed, outcome in recorded:
        endpoint = claimed.endpoint_id
        with tenant_context(claimed.tenant_id):
            if outcome.success:
                if last.get(endpoint) is True:
                    continue
                stale = claimed.last_success_at is None or claimed.last_success_at < touch_before
                if claimed.failing_since is not None or stale or last.get(endpoint) is False:
                    health.mark_success(endpoint, now)
                    last[endpoint] = True
            else:
                health.mark_failure(endpoint, claimed.failing_since, now, outcome)
                # Disabling stages an event and mails, stamped with the bound tenant.
                db.session.flush()
                last[endpoint] = False
