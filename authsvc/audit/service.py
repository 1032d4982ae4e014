"""Writing the audit trail from events, and reading it with filters.

Every emitted event gets an ``AuditEntry`` row, staged in the event's own
transaction by :func:`stage_entry` (an events subscriber, registered by
:func:`authsvc.events.init_app`), adding who (actor), from where (end-user IP,
user agent) and which request. Values under secret-looking keys are redacted.

Actions that are not events (nothing for webhooks: panel sign-ins, webhook and
plugin management, admin-sent reset mails) are staged by :func:`stage` in the
caller's transaction, so they too commit or roll back with their change.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context

from authsvc.audit.changes import SECRET_MARKERS
from authsvc.audit.models import AuditEntry
from authsvc.db import new_id, utcnow
from authsvc.errors import NotFound
from authsvc.events import EVENT_TYPES, Event
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.pagination import Page, paginate_newest_first

_SECRET_KEY = re.compile(r"password|secret|token|hash|key$|code", re.IGNORECASE)
_TARGETS = (
    "user",
    "session",
    "api_key",
    "role",
    "permission",
    "webhook",
    "tenant",
    "organization",
    "membership",
    "invitation",
    "application",
    "grant",
)

#: Audited actions that are not events (see the module docstring).
AUDIT_ONLY_ACTIONS = (
    "admin.login",
    "admin.logout",
    "admin.login_failed",
    "admin.password_set",
    "admin.removed",
    "admin.invited",
    "admin.invitation_accepted",
    "admin.invitation_revoked",
    "admin.role_changed",
    "admin.password_reset_sent",
    "admin.mfa_enabled",
    "admin.mfa_disabled",
    "webhook.created",
    "webhook.updated",
    "webhook.secret_rotated",
    "webhook.replayed",
    "webhook.deleted",
    "plugin.enabled",
    "plugin.disabled",
    "user.password_reset_sent",
    "identity_provider.created",
    "identity_provider.updated",
    "identity_provider.deleted",
    "identity.login_failed",
    "tenant.imported",
)
#: Every action the audit log records.
ACTIONS = EVENT_TYPES + AUDIT_ONLY_ACTIONS
#: Every kind of target an entry can name.
TARGET_TYPES = (*_TARGETS, "admin", "plugin", "identity_provider")


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret-looking fields replaced by '[redacted]' (a marker
    such as ``"rotated"`` stays: it says that a secret changed, not what it is)."""
    if isinstance(value, dict):
        return {
            k: "[redacted]"
            if _SECRET_KEY.search(k)
            and not isinstance(v, dict | list)
            and not (isinstance(v, str) and v in SECRET_MARKERS)
            else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _actor(actor: str | None) -> tuple[str, str | None]:
    if not actor or actor in {"system", "cli", "anonymous", "self"}:
        return (actor or "system", None)
    kind, _, ident = actor.partition(":")
    kind = {"apikey": "api_key"}.get(kind, kind)
    return (kind if kind in {"api_key", "user", "admin"} else "system", ident or None)


def _target(data: dict) -> tuple[str | None, str | None]:
    for name in _TARGETS:
        value = data.get(name)
        if isinstance(value, dict) and value.get("id"):
            return name, str(value["id"])
        if data.get(f"{name}_id"):
            return name, str(data[f"{name}_id"])
    return None, None


def _request_facts() -> dict[str, str | None]:
    """IP, user agent and request id of the current request, read once per request
    (and again only if the request's principal changed since)."""
    if not has_request_context():
        return {"ip": None, "user_agent": None, "request_id": None}
    from authsvc.auth.context import from_request

    principal = g.get("principal")
    cached = g.get("audit_request_facts")
    if cached is not None and cached[0] is principal:
        return cached[1]
    ctx = from_request()
    facts = {"ip": ctx.ip, "user_agent": ctx.user_agent, "request_id": g.get("request_id")}
    g.audit_request_facts = (principal, facts)
    return facts


def stage_entry(event: Event) -> None:
    """Events subscriber: stage ``event``'s audit row in the event's transaction."""
    db.session.add(AuditEntry(**record(event)))


def record(event: Event) -> dict[str, Any]:
    """The audit row's values for ``event``."""
    actor_type, actor_id = _actor(event.actor)
    target_type, target_id = _target(event.data)
    return {
        "id": new_id(),
        "created_at": event.created_at,
        "action": event.type,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "target_type": target_type,
        "target_id": target_id,
        "changes": redact(event.data),
        **_request_facts(),
    }


def stage(
    action: str,
    actor: str | None,
    target: tuple[str, Any],
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add the audit row of an action that is not an event to the session, under the
    bound tenant: it is written when the caller commits its change, or not at all.

    ``target`` is ``(type, id)``; ``changes`` is redacted like an event's payload.
    """
    if action not in AUDIT_ONLY_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    actor_type, actor_id = _actor(actor)
    entry = AuditEntry(
        id=new_id(),
        created_at=utcnow(),
        action=action,
        actor_type=actor_type,
        actor_id=actor_id,
        target_type=target[0],
        target_id=str(target[1]),
        changes=redact(changes or {}),
        **_request_facts(),
    )
    db.session.add(entry)
    return entry


def search(filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    """Entries matching ``filters``, newest first (the id breaks ties of one instant)."""
    statement = sa.select(AuditEntry)
    for name in ("actor_type", "actor_id", "action", "target_type", "target_id"):
        if filters.get(name):
            statement = statement.where(getattr(AuditEntry, name) == filters[name])
    if filters.get("actions"):
        statement = statement.where(AuditEntry.action.in_(filters["actions"]))
    if filters.get("since"):
        statement = statement.where(AuditEntry.created_at >= filters["since"])
    if filters.get("until"):
        statement = statement.where(AuditEntry.created_at < filters["until"])
    return paginate_newest_first(
        db.session, statement, AuditEntry.id, cursor, limit, time_column=AuditEntry.created_at
    )


def get_entry(entry_id: str) -> AuditEntry:
    """One entry of the bound tenant; another tenant's (or a malformed) id is not found."""
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.id == parse_id(entry_id, "audit entry"))
    ).scalar_one_or_none()
    if entry is None:
        raise NotFound("No such audit entry.")
    return entry


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("needs a time zone")
    return parsed
