"""Emitting events: the outbox row staged in the same transaction as the change.

Services call :func:`emit` before they commit. The event is an ordinary ORM
row in the session, so it commits or rolls back with the change that caused
it: a rolled-back change emits nothing, a committed one is never lost, and
the tenancy write guard stamps it with the bound tenant (or refuses it when
none is bound). Subscribers, registered by :func:`init_app`, run at once for
each event and stage rows of their own in the same transaction (the audit
entry); they never commit. Webhook delivery consumes the committed rows;
domain code never calls a sender directly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, current_app

from authsvc.db import new_id, utcnow
from authsvc.events.models import Event
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
    "identity.linked",
    "identity.unlinked",
    "session.created",
    "session.revoked",
    "token.reuse_detected",
    "role.created",
    "role.updated",
    "role.deleted",
    "permission.created",
    "permission.deleted",
    "organization.created",
    "organization.updated",
    "organization.deleted",
    "membership.created",
    "membership.updated",
    "membership.deleted",
    "invitation.created",
    "invitation.accepted",
    "invitation.revoked",
    "apikey.created",
    "apikey.revoked",
    "application.created",
    "application.updated",
    "application.deleted",
    "grant.created",
    "grant.revoked",
    "tenant.updated",
    "webhook.test",
    "webhook.disabled",
)

#: Session-info flag: this transaction staged at least one event (read at commit
#: by the webhooks' hooks, which wake the workers).
EMITTED = "authsvc_events_emitted"
#: The PostgreSQL channel webhook workers LISTEN on (:mod:`authsvc.worker`).
CHANNEL = "authsvc_events"
EXTENSION = "authsvc.events"

Subscriber = Callable[[Event], None]


def init_app(app: Flask) -> None:
    """Set up the app's subscriber list and register the platform's subscribers, the
    audit trail's and outbox's parts of a user's export and erasure, and audit pruning."""
    from authsvc.audit import gdpr, retention
    from authsvc.audit.service import stage_entry
    from authsvc.users.gdpr import register_section

    app.extensions[EXTENSION] = {"subscribers": []}
    subscribe(app, stage_entry)
    register_section(app, gdpr.AUDIT)
    register_section(app, gdpr.EVENTS)
    retention.init_app(app)


def subscribe(app: Flask, func: Subscriber) -> Subscriber:
    """Call ``func(event)`` for every event ``app`` emits, in the emitting transaction,
    after the event is staged. Subscribers may stage rows of their own; they must
    not commit."""
    subscribers: list[Subscriber] = app.extensions[EXTENSION]["subscribers"]
    if func not in subscribers:
        subscribers.append(func)
    return func


def emit(event_type: str, data: dict[str, Any], actor: str | None = None) -> Event:
    """Stage an event in the current transaction; the caller commits."""
    (event,) = emit_many([(event_type, data, actor)])
    return event


def emit_many(items: Sequence[tuple[str, dict[str, Any], str | None]]) -> list[Event]:
    """Stage several events, in order, as :func:`emit` does. ``items`` are
    ``(type, data, actor)`` triples."""
    for event_type, _data, _actor in items:
        if event_type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {event_type!r}")
    staged = [
        Event(id=new_id(), type=event_type, data=data, actor=actor, created_at=utcnow())
        for event_type, data, actor in items
    ]
    db.session.add_all(staged)
    for event in staged:
        for subscriber in current_app.extensions[EXTENSION]["subscribers"]:
            subscriber(event)
    db.session.info[EMITTED] = True
    return staged
