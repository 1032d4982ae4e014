"""Claiming due deliveries, sending them concurrently, recording each attempt.

Rationale: a delivery is claimed with a lease (``locked_by`` /
``locked_until``) in one ``UPDATE ... RETURNING``: on PostgreSQL its
subquery locks rows ``FOR UPDATE SKIP LOCKED`` so concurrent workers take
disjoint rows without waiting; on SQLite the statement holds the database
write lock. A worker killed mid-send never records its attempt, so the lease
runs out and another worker sends it again (at-least-once; receivers
de-duplicate on ``webhook-id``). Recording is guarded by the lease holder,
so a late result from a worker whose lease expired is dropped.

The claim takes at most the pool's free slots, and per endpoint at most
``WEBHOOKS_PER_ENDPOINT_CONCURRENCY`` minus what this worker already has in
flight for it, so one slow receiver cannot occupy every slot.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from authsvc.db import utcnow
from authsvc.events import Event
from authsvc.extensions import db
from authsvc.tenancy import ALL_TENANTS
from authsvc.webhooks.fanout import is_postgres
from authsvc.webhooks.models import PENDING, WebhookDelivery, WebhookEndpoint

# How many due rows one claim looks at when spreading slots over endpoints.
CLAIM_WINDOW = 1000


@dataclass(frozen=True)
class Claimed:
    """Everything one attempt needs, read in the claim's transaction."""

    tenant_id: uuid.UUID
    id: uuid.UUID
    endpoint_id: uuid.UUID
    attempts: int
    url: str
    secret_sealed: str
    previous_secret_sealed: str | None
    previous_secret_expires_at: datetime | None
    failing_since: datetime | None
    last_success_at: datetime | None
    event_id: uuid.UUID
    event_type: str
    event_data: dict
    event_created_at: datetime


def lease_seconds(config) -> float:
    # The sender may take up to the total timeout (twice, in the worst case of a
    # slow trickle); the margin covers recording the result.
    return 2 * config["WEBHOOKS_TIMEOUT_SECONDS"] + 5


def due(now: datetime) -> tuple:
    """Conditions of a claimable delivery.

    They are repeated on the locking SELECT and on the UPDATE itself, not only in the
    ranking subquery: PostgreSQL re-checks a row that another worker changed meanwhile
    against the conditions of the statement that locks or updates it, but not against a
    subquery's result, which comes from the statement's older snapshot. Without them a
    delivery sent and recorded by another worker during this claim could be claimed again.
    """
    D = WebhookDelivery
    return (
        D.state == PENDING,
        D.next_attempt_at <= now,
        sa.or_(D.locked_until.is_(None), D.locked_until < now),
    )


def _candidates(now: datetime, limit: int, busy: dict[uuid.UUID, int], cap: int) -> sa.Select:
    """Due deliveries spread over endpoints (at most ``cap`` in flight per endpoint)."""
    D, E = WebhookDelivery, WebhookEndpoint
    saturated = [endpoint for endpoint, count in busy.items() if count >= cap]
    window = (
        sa.select(D.tenant_id, D.id, D.endpoint_id, D.next_attempt_at)
        .join(E, sa.and_(E.tenant_id == D.tenant_id, E.id == D.endpoint_id))
        .where(*due(now), E.is_active.is_(True))
        .order_by(D.next_attempt_at)
        .limit(CLAIM_WINDOW)
    )
    if saturated:
        window = window.where(D.endpoint_id.not_in(saturated))
    window = window.subquery()
    in_flight = sa.case(busy, value=window.c.endpoint_id, else_=0) if busy else sa.literal(0)
    rank = sa.func.row_number().over(
        partition_by=window.c.endpoint_id, order_by=window.c.next_attempt_at
    )
    ranked = sa.select(
        window.c.tenant_id, window.c.id, window.c.next_attempt_at, (rank + in_flight).label("slot")
    ).subquery()
    return (
        sa.select(ranked.c.tenant_id, ranked.c.id)
        .where(ranked.c.slot <= cap)
        .order_by(ranked.c.next_attempt_at)
        .limit(limit)
        .execution_options(**{ALL_TENANTS: True})
    )


def claim(app: Flask, worker_id: str, limit: int, busy: dict[uuid.UUID, int]) -> list[Claimed]:
    """Lease up to ``limit`` due deliveries to ``worker_id``; platform-level (all tenants).

    Candidates are read first, then leased by key with the due conditions checked
    again on each row (two short statements: a single UPDATE with the ranking as
    its subquery can get a plan that re-runs the ranking for every row).
    """
    with app.app_context():
        now = utcnow()
        cap = app.config["WEBHOOKS_PER_ENDPOINT_CONCURRENCY"]
        keys = [tuple(row) for row in db.session.execute(_candidates(now, limit, busy, cap))]
        # End the read (SQLite cannot turn a stale read transaction into a write).
        db.session.rollback()
        if not keys:
            return []
        D = WebhookDelivery
        lock = sa.select(D.tenant_id, D.id).where(sa.tuple_(D.tenant_id, D.id).in_(keys), *due(now))
        if is_postgres():
            lock = lock.with_for_update(skip_locked=True)
        claimed = db.session.execute(
            sa.update(D)
            .where(sa.tuple_(D.tenant_id, D.id).in_(lock), *due(now))
            .values(
                locked_by=worker_id,
                locked_until=now + timedelta(seconds=lease_seconds(app.config)),
            )
            .returning(D.tenant_id, D.id)
            .execution_options(**{ALL_TENANTS: True}, synchronize_session=False)
        ).all()
        rows = _load(claimed) if claimed else []
        db.session.commit()
        return rows


def _load(keys: list[sa.Row]) -> list[Claimed]:
    D, E = WebhookDelivery, WebhookEndpoint
    statement = (
        sa.select(
            D.tenant_id,
            D.id,
            D.endpoint_id,
            D.attempts,
            E.url,
            E.secret_sealed,
            E.previous_secret_sealed,
            E.previous_secret_expires_at,
            E.failing_since,
            E.last_success_at,
            Event.id,
            Event.type,
            Event.data,
            Event.created_at,
        )
        .join(E, sa.and_(E.tenant_id == D.tenant_id, E.id == D.endpoint_id))
        .join(Event, sa.and_(Event.tenant_id == D.tenant_id, Event.id == D.event_id))
        .where(sa.tuple_(D.tenant_id, D.id).in_([tuple(key) for key in keys]))
        .order_by(D.next_attempt_at)
        .execution_options(**{ALL_TENANTS: True})
    )
    return [Claimed(*row) for row in db.session.execute(statement)]


def release(app: Flask, worker_id: str, rows: list[Claimed]) -> None:
    """Give leased deliveries back at once (graceful shutdown before sending)."""
    if not rows:
        return
    with app.app_context():
        D = WebhookDelivery
        db.session.execute(
            sa.update(D)
            .where(sa.tuple_(D.tenant_id, D.id).in_([(r.tenant_id, r.id) for r in rows]))
            .where(D.locked_by == worker_id)
            .values(locked_by=None, locked_until=None)
            .execution_options(**{ALL_TENANTS: True}, synchronize_session=False)
        )
        db.session.commit()
