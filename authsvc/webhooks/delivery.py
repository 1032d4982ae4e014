"""Claiming due deliveries, sending them concurrently, recording each attempt.

Rationale: a delivery is claimed with a lease (``locked_by`` /
``locked_until``) in one ``UPDATE ... RETURNING``: on PostgreSQL its CTE
locks rows ``FOR UPDATE SKIP LOCKED`` so concurrent workers take disjoint
rows without waiting; on SQLite the statement holds the database write lock.
A worker killed mid-send never records its attempt, so the lease runs out
and another worker sends it again (at-least-once; receivers de-duplicate on
``webhook-id``). Recording is guarded by the lease holder,
so a late result from a worker whose lease expired is dropped.

The claim takes at most the pool's free slots, and per endpoint at most
``WEBHOOKS_PER_ENDPOINT_CONCURRENCY`` minus what this worker already has in
flight for it, so one slow receiver cannot occupy every slot.
"""

from __future__ import annotations

import uuid
from collections import Counter
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
# Claims in a row when other workers took some of the candidates first.
CLAIM_TRIES = 3


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

    They are repeated on the locking SELECT, not only in the candidate query:
    PostgreSQL re-checks a row that another worker changed meanwhile against the
    conditions of the statement that locks it, but a candidate list comes from an
    older snapshot. Without them a delivery sent and recorded by another worker
    during this claim could be claimed again.
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
    its subquery can get a plan that re-runs the ranking for every row). Workers
    woken together read the same candidates, and only one of them leases each: the
    others try again at once, a few times, instead of idling until the next wake-up.
    """
    rows: list[Claimed] = []
    busy = Counter(busy)
    with app.app_context():
        for _try in range(CLAIM_TRIES):
            wanted, leased = _claim_once(app, worker_id, limit - len(rows), busy)
            rows += leased
            if len(leased) == wanted or len(rows) >= limit:
                break
            busy.update(row.endpoint_id for row in leased)
    return rows


def _claim_once(
    app: Flask, worker_id: str, limit: int, busy: dict[uuid.UUID, int]
) -> tuple[int, list[Claimed]]:
    """(how many candidates there were, the ones leased) in one transaction."""
    now = utcnow()
    cap = app.config["WEBHOOKS_PER_ENDPOINT_CONCURRENCY"]
    keys = [tuple(row) for row in db.session.execute(_candidates(now, limit, busy, cap))]
    if not is_postgres():
        # End the read: SQLite cannot turn a stale read transaction into a write.
        db.session.rollback()
    if not keys:
        db.session.rollback()
        return 0, []
    claimed = db.session.execute(_lease(keys, now, worker_id, lease_seconds(app.config))).all()
    rows = _load(claimed) if claimed else []
    db.session.commit()
    return len(keys), rows


def _lease(keys: list[tuple], now: datetime, worker_id: str, seconds: float) -> sa.Update:
    """Lease the candidates that are still due and that no other worker is locking.

    The rows are locked in a CTE (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) that finds
    them by primary key (``= ANY`` on both columns, an index condition) and the UPDATE
    joins it: an ``IN (subquery FOR UPDATE)`` got a plan re-running the locking
    subquery for every pending row (seconds per claim with a few thousand queued).
    """
    D = WebhookDelivery
    tenants = sorted({tenant for tenant, _id in keys})
    lock = sa.select(D.tenant_id, D.id).where(
        D.tenant_id.in_(tenants),
        D.id.in_([key for _tenant, key in keys]),
        sa.tuple_(D.tenant_id, D.id).in_(keys),
        *due(now),
    )
    if is_postgres():
        lock = lock.with_for_update(skip_locked=True)
    locked = lock.cte("locked")
    return (
        sa.update(D)
        .where(D.tenant_id == locked.c.tenant_id, D.id == locked.c.id)
        .values(locked_by=worker_id, locked_until=now + timedelta(seconds=seconds))
        .returning(D.tenant_id, D.id)
        .execution_options(**{ALL_TENANTS: True}, synchronize_session=False)
    )


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
