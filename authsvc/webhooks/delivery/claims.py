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

Claiming, loading and releasing span tenants: they run in ``platform_scope()``.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql

from authsvc.db import utcnow
from authsvc.events import Event
from authsvc.extensions import db
from authsvc.tenancy import platform_scope
from authsvc.webhooks.delivery.fanout import is_postgres
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


@functools.cache
def _candidates() -> sa.Select:
    """Due deliveries ranked per endpoint, oldest first (built once; values are bound).

    Binds ``now``, ``saturated`` (endpoints this worker has at the cap), ``cap`` and
    ``fetch``. The rows keep their rank, so the caller drops those beyond what this
    worker may still start for their endpoint (see :func:`_spread`).
    """
    D, E = WebhookDelivery, WebhookEndpoint
    window = (
        sa.select(D.tenant_id, D.id, D.endpoint_id, D.next_attempt_at)
        .join(E, sa.and_(E.tenant_id == D.tenant_id, E.id == D.endpoint_id))
        .where(
            *due(sa.bindparam("now")),
            E.is_active.is_(True),
            D.endpoint_id.not_in(sa.bindparam("saturated", expanding=True)),
        )
        .order_by(D.next_attempt_at)
        .limit(CLAIM_WINDOW)
        .subquery()
    )
    rank = sa.func.row_number().over(
        partition_by=window.c.endpoint_id, order_by=window.c.next_attempt_at
    )
    ranked = sa.select(window, rank.label("rank")).subquery()
    return (
        sa.select(ranked.c.tenant_id, ranked.c.id, ranked.c.endpoint_id, ranked.c.rank)
        .where(ranked.c.rank <= sa.bindparam("cap"))
        .order_by(ranked.c.next_attempt_at)
        .limit(sa.bindparam("fetch"))
    )


def _spread(now: datetime, limit: int, busy: dict[uuid.UUID, int], cap: int) -> list[tuple]:
    """Keys of up to ``limit`` candidates, at most ``cap`` in flight per endpoint.

    Fetching ``limit`` plus what is in flight is enough: of the rows ranked within
    ``cap``, at most ``busy[endpoint]`` per endpoint are dropped here.
    """
    saturated = [endpoint for endpoint, count in busy.items() if count >= cap]
    params = {"now": now, "saturated": saturated, "cap": cap, "fetch": limit + sum(busy.values())}
    keys = [
        (tenant_id, id_)
        for tenant_id, id_, endpoint, rank in db.session.execute(_candidates(), params)
        if rank + busy.get(endpoint, 0) <= cap
    ]
    return keys[:limit]


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
    with app.app_context(), platform_scope():
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
    if is_postgres():
        # Right after a burst of new deliveries there are no statistics (autovacuum
        # analyses a minute later at best): the planner estimates a few pending rows,
        # bitmap-scans and sorts all of them (9 ms a claim with 10,000 queued) where the
        # due index, read in order, stops after the window (1 ms).
        db.session.execute(sa.text("SET LOCAL enable_bitmapscan = off"))
    keys = _spread(now, limit, busy, cap)
    if not is_postgres():
        # End the read: SQLite cannot turn a stale read transaction into a write.
        db.session.rollback()
    if not keys:
        db.session.rollback()
        return 0, []
    params = _lease_params(keys, now, worker_id, lease_seconds(app.config))
    claimed = db.session.execute(_lease(is_postgres()), params).all()
    rows = _load(claimed) if claimed else []
    db.session.commit()
    return len(keys), rows


@functools.cache
def _lease(postgres: bool) -> sa.Update:
    """Lease the candidates that are still due and that no other worker is locking.

    A CTE locks the rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) where they are
    still due: PostgreSQL re-checks its conditions on the newest version of a row
    another worker changed meanwhile. The UPDATE joins it by primary key. Built once;
    binds ``tenant_ids`` and ``ids`` (the candidates' keys), ``now``, ``holder`` and
    ``until``.
    """
    D = WebhookDelivery
    if postgres:
        lock = _lock_by_key()
    else:
        pairs = sa.tuple_(D.tenant_id, D.id).in_(sa.bindparam("keys", expanding=True))
        lock = sa.select(D.tenant_id, D.id).where(pairs, *due(sa.bindparam("now")))
    locked = lock.cte("locked")
    return (
        sa.update(D)
        .where(D.tenant_id == locked.c.tenant_id, D.id == locked.c.id)
        .values(locked_by=sa.bindparam("holder"), locked_until=sa.bindparam("until"))
        .returning(D.tenant_id, D.id)
        .execution_options(synchronize_session=False)
    )


def _lock_by_key() -> sa.Select:
    """PostgreSQL: lock the due candidates, found one by one through the primary key.

    The keys arrive as two arrays joined to the table, and the due conditions are
    wrapped so they cannot serve as an index condition: right after a burst of new
    deliveries the planner has no statistics, estimates a handful of pending rows and
    otherwise scans every pending row through the due index (ms per claim with
    thousands queued), or re-runs an ``IN (subquery FOR UPDATE)`` for each of them.
    """
    D = WebhookDelivery
    keys = (
        sa.func.unnest(
            sa.cast(sa.bindparam("tenant_ids"), postgresql.ARRAY(sa.Uuid())),
            sa.cast(sa.bindparam("ids"), postgresql.ARRAY(sa.Uuid())),
        )
        .table_valued("tenant_id", "id")
        .render_derived("keys")
    )
    return (
        sa.select(D.tenant_id, D.id)
        .select_from(keys)
        .join(D, sa.and_(D.tenant_id == keys.c.tenant_id, D.id == keys.c.id))
        .where(sa.func.coalesce(sa.and_(*due(sa.bindparam("now"))), False))
        .with_for_update(of=D, skip_locked=True)
    )


def _lease_params(keys: list[tuple], now: datetime, worker_id: str, seconds: float) -> dict:
    return {
        "tenant_ids": [tenant for tenant, _id in keys],
        "ids": [key for _tenant, key in keys],
        "keys": keys,
        "now": now,
        "holder": worker_id,
        "until": now + timedelta(seconds=seconds),
    }


@functools.cache
def _loader() -> sa.Select:
    """What an attempt needs of leased deliveries (built once; binds ``keys``)."""
    D, E = WebhookDelivery, WebhookEndpoint
    return (
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
        .where(sa.tuple_(D.tenant_id, D.id).in_(sa.bindparam("keys", expanding=True)))
        .order_by(D.next_attempt_at)
    )


def _load(keys: list[sa.Row]) -> list[Claimed]:
    rows = db.session.execute(_loader(), {"keys": [tuple(key) for key in keys]})
    return [Claimed(*row) for row in rows]


def release(app: Flask, worker_id: str, rows: list[Claimed]) -> None:
    """Give leased deliveries back at once (graceful shutdown before sending)."""
    if not rows:
        return
    with app.app_context(), platform_scope():
        D = WebhookDelivery
        db.session.execute(
            sa.update(D)
            .where(sa.tuple_(D.tenant_id, D.id).in_([(r.tenant_id, r.id) for r in rows]))
            .where(D.locked_by == worker_id)
            .values(locked_by=None, locked_until=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
