"""Names for the ids audit entries hold: user and admin emails, application, role and key names."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa

from authsvc.admins.models import Admin
from authsvc.apikeys.models import ApiKey
from authsvc.applications.models import Application
from authsvc.audit.models import AuditEntry
from authsvc.extensions import db
from authsvc.users.models import Role, User
from authsvc.webhooks.models import WebhookEndpoint


@dataclass(frozen=True)
class Named:
    """What an id stands for: a label to show and the id to link to."""

    label: str
    id: str


def _uuids(raw: Iterable[str]) -> list[uuid.UUID]:
    ids = []
    for value in raw:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return ids


def _by_id(column_id, column_label) -> Callable[[set[str]], dict[str, Named]]:
    """A lookup of tenant-scoped rows by id (the tenancy hook keeps it to the bound tenant)."""

    def lookup(raw: set[str]) -> dict[str, Named]:
        rows = db.session.execute(
            sa.select(column_id, column_label).where(column_id.in_(_uuids(raw)))
        )
        return {str(ident): Named(label, str(ident)) for ident, label in rows}

    return lookup


def _admins(raw: set[str]) -> dict[str, Named]:
    """Admins are named by email as actors (``admin:<email>``) and by id as targets."""
    clause = Admin.email.in_(raw) | Admin.id.in_(_uuids(raw))
    rows = db.session.execute(sa.select(Admin.id, Admin.email).where(clause))
    names: dict[str, Named] = {}
    for ident, email in rows:
        names[str(ident)] = names[email] = Named(email, str(ident))
    return names


_LOOKUPS: dict[str, Callable[[set[str]], dict[str, Named]]] = {
    "user": _by_id(User.id, User.email),
    "role": _by_id(Role.id, Role.name),
    "application": _by_id(Application.id, Application.name),
    "api_key": _by_id(ApiKey.id, ApiKey.name),
    "webhook": _by_id(WebhookEndpoint.id, WebhookEndpoint.url),
    "admin": _admins,
}


def resolve(entries: Iterable[AuditEntry]) -> dict[tuple[str, str], Named]:
    """``{(kind, id): Named}`` for every actor and target of ``entries`` that still exists,
    in one query per kind."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.actor_id:
            wanted[entry.actor_type].add(entry.actor_id)
        if entry.target_type and entry.target_id:
            wanted[entry.target_type].add(entry.target_id)
    names: dict[tuple[str, str], Named] = {}
    for kind, ids in wanted.items():
        if kind in _LOOKUPS:
            names.update({(kind, key): named for key, named in _LOOKUPS[kind](ids).items()})
    return names
