"""Fan-out and retention: turning outbox events into deliveries, and pruning old rows.

Fan-out claims undispatched events with one ``UPDATE ... RETURNING`` that
sets their ``dispatched_at`` (on PostgreSQL through ``FOR UPDATE SKIP
LOCKED``, so workers take disjoint batches; on SQLite the statement holds
the write lock) and inserts one delivery per subscribed active endpoint in
the same transaction. A crash before commit leaves the events undispatched
for the next run; the unique (endpoint, event) constraint keeps one
delivery each.

Both statements span tenants, so they run in ``platform_scope()``; reading a
tenant's endpoints runs in ``tenant_context`` of that tenant.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from authsvc.db import new_id, utcnow
from authsvc.events import EMITTED, Event
from authsvc.extensions import db
from authsvc.tenancy import platform_scope, tenant_context
from authsvc.webhooks.models import PENDING, WebhookDelivery, WebhookEndpoint

PRUNE_BATCH = 1000


def is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _claim_events(limit: int) -> list[sa.Row]:
    """Mark up to ``limit`` undispatched events of any tenant dispatched; platform-level."""
    pick = (
        sa.select(Event.tenant_id, Event.id)
        .where(Event.dispatched_at.is_(None))
        .order_by(Event.id)
        .limit(limit)
    )
    if is_postgres():
        pick = pick.with_for_update(skip_locked=True)
    statement = (
        sa.update(Event)
        .where(sa.tuple_(Event.tenant_id, Event.id).in_(pick))
        # Re-checked on the latest row version (see delivery.due).
        .where(Event.dispatched_at.is_(None))
        .values(dispatched_at=utcnow())
        .returning(Event.tenant_id, Event.id, Event.type, Event.created_at)
        .execution_options(synchronize_session=False)
    )
    with platform_scope():
        return list(db.session.execute(statement))


def _deliveries_for(tenant_id: uuid.UUID, events: list[sa.Row]) -> list[dict]:
    """One delivery row per (subscribed active endpoint, event) of one tenant."""
    with tenant_context(tenant_id):
        endpoints = db.session.execute(
            sa.select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True))
        ).scalars()
        endpoints = list(endpoints)
    now = utcnow()
    return [
        {
            "tenant_id": tenant_id,
            "id": new_id(),
            "endpoint_id": endpoint.id,
            "event_id": event.id,
            "event_type": event.type,
            "state": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for event in events
        for endpoint in endpoints
        # An endpoint receives what happens after it was created, not an older backlog.
        if endpoint.subscribes(event.type) and event.created_at >= endpoint.created_at
    ]


def fan_out(app: Flask) -> int:
    """Job: dispatch one batch of events to deliveries; returns how many events it took."""
    with app.app_context():
        events = _claim_events(app.config["WEBHOOKS_FANOUT_BATCH"])
        if not events:
            db.session.rollback()
            return 0
        by_tenant: dict[uuid.UUID, list[sa.Row]] = defaultdict(list)
        for event in events:
            by_tenant[event.tenant_id].append(event)
        rows = [row for tenant, some in by_tenant.items() for row in _deliveries_for(tenant, some)]
        if rows:
            # One ORM bulk INSERT for the deliveries of every tenant in the batch.
            with platform_scope():
                db.session.execute(sa.insert(WebhookDelivery), rows)
            notify_workers()
        db.session.commit()
        return len(events)


def notify_workers() -> None:
    """Wake every worker when this transaction commits (the hooks in :mod:`authsvc.webhooks`)."""
    db.session.info[EMITTED] = True


def prune(app: Flask) -> int:
    """Job: delete events (and their deliveries) older than the retention period."""
    with app.app_context():
        cutoff = utcnow() - timedelta(days=current_app.config["WEBHOOKS_RETENTION_DAYS"])
        pending = sa.exists().where(
            WebhookDelivery.tenant_id == Event.tenant_id,
            WebhookDelivery.event_id == Event.id,
            WebhookDelivery.state == PENDING,
        )
        with platform_scope():
            old = db.session.execute(
                sa.select(Event.tenant_id, Event.id)
                .where(Event.created_at < cutoff, Event.dispatched_at.is_not(None), ~pending)
                .limit(PRUNE_BATCH)
            ).all()
        by_tenant: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for tenant_id, event_id in old:
            by_tenant[tenant_id].append(event_id)
        for tenant_id, ids in by_tenant.items():
            with tenant_context(tenant_id):
                db.session.execute(
                    sa.delete(WebhookDelivery).where(WebhookDelivery.event_id.in_(ids))
                )
                db.session.execute(sa.delete(Event).where(Event.id.in_(ids)))
        db.session.commit()
        return len(old)
