"""Domain events: the outbox row written in the same transaction as the change.

Services call :func:`emit` before they commit; the row commits or rolls back
with the change that caused it, so a rolled-back change emits nothing and a
committed one is never lost. Webhook delivery and the audit trail consume
these rows; domain code never calls a sender directly.

Rationale: every write flow emits events, and staging them as ORM objects
made the unit of work at commit about half of a sign-in's CPU. So an event
and its companion rows (the audit entry: :func:`record_with`) are written at
once by prebuilt Core statements through :func:`authsvc.tenancy.execute_scoped`,
which supplies the bound tenant and proves the statements tenant-scoped. On
PostgreSQL one statement writes a whole batch (data-modifying CTEs) and also
queues the ``NOTIFY`` that wakes webhook workers; like the rows, a
notification is delivered only if the transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam as param
from sqlalchemy.orm import Mapped, make_transient_to_detached, mapped_column

from authsvc.db import Base, TenantScoped, new_id, utcnow
from authsvc.extensions import db
from authsvc.tenancy import current_tenant_id, execute_scoped

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
#: Session-info flag: this transaction's event statements already queued the
#: workers' NOTIFY (PostgreSQL), so the webhooks' commit hook need not send one.
NOTIFIED = "authsvc_events_notified"
#: The PostgreSQL channel webhook workers LISTEN on (:mod:`authsvc.worker`).
CHANNEL = "authsvc_events"


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


@dataclass(frozen=True, slots=True)
class Emitted:
    """An event as written, handed to subscribers and companion-row builders."""

    id: Any
    type: str
    data: dict[str, Any]
    actor: str | None
    created_at: datetime


Subscriber = Callable[[Emitted], None]
RowBuilder = Callable[[Emitted], dict[str, Any]]
_subscribers: list[Subscriber] = []
#: Tables that receive one row per event, written by the event's own statement.
_companions: dict[sa.Table, RowBuilder] = {}


def subscribe(func: Subscriber) -> Subscriber:
    """Call ``func(event)`` for every emitted event, inside the same transaction,
    after the event's rows are written.

    Subscribers may stage rows of their own and must not commit. A subscriber
    that only adds one row per event should use :func:`record_with` instead.
    """
    if func not in _subscribers:
        _subscribers.append(func)
    return func


def record_with(table: sa.Table) -> Callable[[RowBuilder], RowBuilder]:
    """Register ``build(event)``: the values of ``table``'s row for each event (all
    columns but ``tenant_id``, which is always the bound tenant). The row is written
    by the same statement as the event, so they commit or roll back together."""

    def register(build: RowBuilder) -> RowBuilder:
        _companions[table] = build
        _statement.cache_clear()
        return build

    return register


def emit(event_type: str, data: dict[str, Any], actor: str | None = None) -> Event:
    """Write an event (and its companion rows) in the current transaction; the
    caller commits. Returns the event, persistent in the session."""
    (emitted,) = emit_many([(event_type, data, actor)])
    event = Event(
        tenant_id=current_tenant_id(),
        id=emitted.id,
        type=emitted.type,
        data=emitted.data,
        actor=emitted.actor,
        created_at=emitted.created_at,
        dispatched_at=None,
    )
    # The row exists (in this transaction): the session tracks it like a loaded
    # one, so changes to it are flushed as an UPDATE.
    make_transient_to_detached(event)
    db.session.add(event)
    return event


def emit_many(
    items: Sequence[tuple[str, dict[str, Any], str | None]],
    change: Sequence[sa.Executable] = (),
    params: dict[str, Any] | None = None,
) -> list[Emitted]:
    """Write several events, in order, as :func:`emit` does. ``items`` are
    ``(type, data, actor)`` triples.

    ``change`` may name the prebuilt, tenant-bound INSERTs and UPDATEs that make
    the change itself, run in order with ``params`` just before the events; on
    PostgreSQL the change, the events and their companion rows are one statement.
    """
    for event_type, _data, _actor in items:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
    written = [Emitted(new_id(), t, data, actor, utcnow()) for t, data, actor in items]
    session = db.session()  # the Session itself (not its scoped proxy)
    if session.get_bind().dialect.name == "postgresql":
        _write_postgresql(session, written, tuple(change), params or {})
    else:
        for statement in change:
            execute_scoped(session, statement, params)
        _write_each(session, written)
    for event in written:
        for subscriber in _subscribers:
            subscriber(event)
    # Read at commit by the webhook dispatcher's hooks to wake workers.
    session.info[EMITTED] = True
    return written


def _write_postgresql(session, written: list[Emitted], change: tuple, params: dict) -> None:
    params = dict(params)
    for index, event in enumerate(written):
        for table, values in _rows(event):
            prefix = _prefix(table, index)
            params.update({prefix + name: value for name, value in values.items()})
    execute_scoped(session, _statement(len(written), change), params)
    # A savepoint's NOTIFY dies with it if it rolls back: only a notification
    # queued by the transaction itself spares the commit hook its own.
    if not session.in_nested_transaction():
        session.info[NOTIFIED] = True


def _write_each(session, written: list[Emitted]) -> None:
    """SQLite has no data-modifying CTEs: one INSERT per row."""
    for event in written:
        for table, values in _rows(event):
            prefix = _prefix(table, 0)
            row = {prefix + name: value for name, value in values.items()}
            execute_scoped(session, _insert(table, prefix), row)


def _rows(event: Emitted) -> list[tuple[sa.Table, dict[str, Any]]]:
    row = {
        "id": event.id,
        "type": event.type,
        "data": event.data,
        "actor": event.actor,
        "created_at": event.created_at,
    }
    return [(_events, row)] + [(table, build(event)) for table, build in _companions.items()]


_events = Event.__table__


def _prefix(table: sa.Table, index: int) -> str:
    # Not named like a column: SQLAlchemy would add such a parameter to an INSERT.
    return f"{table.name}_{index}_"


@lru_cache(maxsize=1024)
def _insert(table: sa.Table, prefix: str) -> sa.Insert:
    """One row of ``table`` for the bound tenant, its values from ``<prefix><column>``."""
    names = [c.name for c in table.columns if c.name != "tenant_id"]
    if table is _events:
        names.remove("dispatched_at")
    return table.insert().values(
        tenant_id=param("tenant"), **{name: param(f"{prefix}{name}") for name in names}
    )


@lru_cache(maxsize=64)
def _statement(count: int, change: tuple[sa.Executable, ...] = ()) -> sa.Select:
    """PostgreSQL: the ``change`` statements, ``count`` events with their companion
    rows, and the workers' NOTIFY, in one statement (data-modifying CTEs)."""
    tables = [_events, *_companions]
    parts = [statement.cte(f"change_{index}") for index, statement in enumerate(change)]
    parts += [
        _insert(table, _prefix(table, index)).cte(f"{table.name}_{index}")
        for index in range(count)
        for table in tables
    ]
    return sa.select(sa.func.pg_notify(CHANNEL, "")).add_cte(*parts)
