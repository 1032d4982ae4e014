"""Domain events: the outbox row staged in the same transaction as the change.

Services call :func:`emit` before they commit; the row commits or rolls back
with the change that caused it, so a rolled-back change emits nothing and a
committed one is never lost. Webhook delivery and the audit trail consume
these rows; domain code never calls a sender directly.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, utcnow
from authsvc.extensions import db

#: Every event type the platform emits; webhooks subscribe to these names
#: (or wildcards such as ``user.*``). Payloads never carry secrets.
EVENT_TYPES = (
    "user.created",
    "user.updated",
    "user.deleted",
    "user.verified",
    "user.login",
    "user.login_failed",
    "user.locked",
    "user.unlocked",
    "user.password_changed",
    "user.password_reset",
    "user.mfa_enabled",
    "user.mfa_disabled",
    "session.created",
    "session.revoked",
    "token.reuse_detected",
    "role.created",
    "role.updated",
    "role.deleted",
    "apikey.created",
    "apikey.revoked",
    "tenant.updated",
    "webhook.test",
    "webhook.disabled",
)


#: Session-info flag: this transaction staged at least one event.
EMITTED = "authsvc_events_emitted"


class Event(TenantScoped, Base):
    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_created_at", "created_at"),
        sa.Index("ix_events_dispatched_at", "dispatched_at"),
    )

    type: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the webhook dispatcher has fanned the event out to deliveries.
    dispatched_at: Mapped[datetime | None]


Subscriber = Callable[[Event], None]
_subscribers: list[Subscriber] = []


def subscribe(func: Subscriber) -> Subscriber:
    """Call ``func(event)`` for every emitted event, inside the same transaction.

    Subscribers stage rows of their own (the audit trail) and must not commit.
    """
    if func not in _subscribers:
        _subscribers.append(func)
    return func


def emit(event_type: str, data: dict[str, Any], actor: str | None = None) -> Event:
    """Stage an event in the current transaction (the caller commits)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = Event(type=event_type, data=data, actor=actor)
    db.session.add(event)
    for subscriber in _subscribers:
        subscriber(event)
    # Read at commit by the webhook dispatcher's hooks to wake workers (NOTIFY).
    db.session.info[EMITTED] = True
    return event
