"""The tenant's declared permissions, and what a set of granted permissions allows.

A tenant that declares no permission keeps free-form role permissions (as roles
had before the catalogue existed). Once it declares one, a role may name only
``*``, a declared permission, or a prefix wildcard (``documents:*``) that covers
at least one declared permission: a typo in a role is a 422, not a silent gap.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from authsvc import events
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.organizations.models import Permission
from authsvc.users.models import Role
from authsvc.users.roles import PERMISSION_PATTERN


def grants(granted: Iterable[str], wanted: str) -> bool:
    """Whether ``granted`` allows ``wanted``: itself, ``*``, or a ``prefix*`` wildcard."""
    for permission in granted:
        if permission in ("*", wanted):
            return True
        if permission.endswith("*") and wanted.startswith(permission[:-1]):
            return True
    return False


def unknown_permissions(permissions: Iterable[str]) -> list[str]:
    """The names in ``permissions`` the bound tenant has not declared (none if it declared none)."""
    declared = set(db.session.execute(sa.select(Permission.name)).scalars())
    if not declared:
        return []
    return [
        name
        for name in permissions
        if name != "*"
        and name not in declared
        and not (name.endswith("*") and any(grants([name], d) for d in declared))
    ]


def list_permissions() -> list[Permission]:
    return list(db.session.execute(sa.select(Permission).order_by(Permission.name)).scalars())


def get_permission(permission_id: str | uuid.UUID) -> Permission:
    found = db.session.execute(
        sa.select(Permission).where(Permission.id == parse_id(permission_id, "permission"))
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No permission with id {permission_id}.")
    return found


def permission_payload(permission: Permission) -> dict[str, Any]:
    return {
        "id": str(permission.id),
        "name": permission.name,
        "description": permission.description,
    }


def create_permission(data: dict[str, Any], actor: str | None = None) -> Permission:
    permission = stage_permission(data, actor)
    db.session.commit()
    return permission


def stage_permission(data: dict[str, Any], actor: str | None = None) -> Permission:
    """Declare a permission and stage its event without committing (a tenant import
    commits it with the rest)."""
    name = (data.get("name") or "").strip()
    if name == "*" or "*" in name or not PERMISSION_PATTERN.match(name):
        raise ValidationFailed(
            errors={"name": ["Use lower-case letters, digits, '_', '.', ':' or '-'."]}
        )
    if db.session.execute(sa.select(Permission.id).where(Permission.name == name)).first():
        raise Conflict("This permission exists.", errors={"name": ["Already declared."]})
    permission = Permission(name=name, description=(data.get("description") or None))
    db.session.add(permission)
    db.session.flush()
    events.emit("permission.created", {"permission": permission_payload(permission)}, actor)
    return permission


def delete_permission(permission: Permission, actor: str | None = None) -> None:
    """Remove a declared permission no role names (a role naming it is a 409)."""
    users = [
        role.name
        for role in db.session.execute(sa.select(Role)).scalars()
        if permission.name in role.permissions
    ]
    if users:
        raise Conflict(
            "Roles still grant this permission.",
            errors={"roles": [f"Remove it from {name!r} first." for name in sorted(users)]},
        )
    payload = permission_payload(permission)
    db.session.delete(permission)
    events.emit("permission.deleted", {"permission": payload}, actor)
    db.session.commit()
