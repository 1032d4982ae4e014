"""The audit trail's and the event outbox's part of a user's export and erasure.

Security logs are kept for their legal retention, so erasure pseudonymises
rather than deletes: each entry keeps its action, time and shape, while every
value that names the user (id, email, username, a provider's subject) becomes
the erasure's tombstone id and the address and user agent are cleared. Events
(the webhook outbox, pruned after ``WEBHOOKS_RETENTION_DAYS``) are scrubbed
the same way and are not exported: they copy what the other sections hold.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authsvc.audit.models import AuditEntry
from authsvc.events import Event
from authsvc.extensions import db
from authsvc.users.gdpr import Erasure, Section
from authsvc.users.models import User


def _mentions(column, user: User) -> sa.ColumnElement[bool]:
    """Rows whose JSON names the user: by id where events carry one (sessions,
    memberships, grants), by name where a failed sign-in only had what was typed and
    where an invitation was addressed to their email."""
    user_id = str(user.id)
    names = [name for name in (user.email_normalized, user.username_normalized) if name]
    return sa.or_(
        column["user_id"].as_string() == user_id,
        column["user"]["id"].as_string() == user_id,
        *(column[owner]["user_id"].as_string() == user_id for owner in _USER_OWNED),
        sa.func.lower(column["identifier"].as_string()).in_(names),
        sa.func.lower(column["invitation"]["email"].as_string()).in_(names),
    )


#: Event payload objects that belong to one user through their ``user_id``.
_USER_OWNED = ("session", "membership", "grant")


def _entries(user: User) -> list[AuditEntry]:
    A = AuditEntry
    user_id = str(user.id)
    about = sa.or_(
        sa.and_(A.target_type == "user", A.target_id == user_id),
        sa.and_(A.actor_type == "user", A.actor_id == user_id),
        _mentions(A.changes, user),
    )
    return list(db.session.execute(sa.select(A).where(about).order_by(A.created_at)).scalars())


def export(user: User) -> list[dict[str, Any]]:
    columns = ("created_at", "action", "actor_type", "actor_id", "target_type", "target_id")
    return [
        {**{name: getattr(e, name) for name in columns}, "ip": e.ip, "changes": e.changes}
        for e in _entries(user)
    ]


def erase(user: User, erasure: Erasure) -> None:
    for entry in _entries(user):
        entry.actor_id = erasure.scrub(entry.actor_id)
        entry.target_id = erasure.scrub(entry.target_id)
        entry.changes = erasure.scrub(entry.changes)
        entry.ip = entry.user_agent = None


def erase_events(user: User, erasure: Erasure) -> None:
    found = db.session.execute(sa.select(Event).where(_mentions(Event.data, user))).scalars()
    for event in found:
        event.data = erasure.scrub(event.data)
        event.actor = erasure.scrub(event.actor)


AUDIT = Section("audit", ("audit_entries",), export, erase)
EVENTS = Section("events", ("events", "webhook_deliveries"), None, erase_events)
