"""Roles of the bound tenant and the permissions they grant.

A permission is a free-form name the tenant's own apps check (``orders:read``),
or ``*`` for everything. Built-in roles (``admin``, ``member``) can be
described but not renamed or deleted, because sign-up assigns ``member``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa

from authsvc import events
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.users.models import Role, UserRole

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,63}$")
PERMISSION_PATTERN = re.compile(r"^(\*|[a-z0-9][a-z0-9_.:*-]{0,99})$")


def list_roles() -> list[Role]:
    return list(db.session.execute(sa.select(Role).order_by(Role.name)).scalars())


def member_counts() -> dict[uuid.UUID, int]:
    rows = db.session.execute(
        sa.select(UserRole.role_id, sa.func.count()).group_by(UserRole.role_id)
    )
    return dict(rows.all())


def get_role(role_id: str | uuid.UUID) -> Role:
    role = db.session.execute(
        sa.select(Role).where(Role.id == parse_id(role_id, "role"))
    ).scalar_one_or_none()
    if role is None:
        raise NotFound(f"No role with id {role_id}.")
    return role


def check_role(data: dict[str, Any], role: Role | None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    name = (data.get("name") or "").strip().lower()
    if not NAME_PATTERN.match(name):
        errors["name"] = ["Use up to 64 lower-case letters, digits, '_', '.', ':' or '-'."]
    elif (role is None or role.name != name) and db.session.execute(
        sa.select(Role.id).where(Role.name == name)
    ).first():
        raise Conflict("A role with this name exists.", errors={"name": ["Already taken."]})
    if role is not None and role.is_builtin and name != role.name:
        errors["name"] = ["Built-in roles keep their name."]
    permissions = sorted({p.strip() for p in data.get("permissions") or [] if p.strip()})
    bad = [p for p in permissions if not PERMISSION_PATTERN.match(p)]
    if bad:
        errors["permissions"] = [f"Not a permission name: {p!r}." for p in bad]
    else:
        # Imported here: the catalogue's module imports this one's patterns.
        from authsvc.organizations.permissions import unknown_permissions

        undeclared = unknown_permissions(permissions)
        if undeclared:
            errors["permissions"] = [f"Unknown permission: {p!r}." for p in undeclared]
    if errors:
        raise ValidationFailed(errors=errors)
    return {
        "name": name,
        "description": data.get("description") or None,
        "permissions": permissions,
    }


def _payload(role: Role) -> dict[str, Any]:
    return {"id": str(role.id), "name": role.name, "permissions": role.permissions}


def create_role(data: dict[str, Any], actor: str | None = None) -> Role:
    role = Role(**check_role(data, None))
    db.session.add(role)
    db.session.flush()
    events.emit("role.created", {"role": _payload(role)}, actor=actor)
    db.session.commit()
    return role


def update_role(role: Role, data: dict[str, Any], actor: str | None = None) -> Role:
    for name, value in check_role(data, role).items():
        setattr(role, name, value)
    events.emit("role.updated", {"role": _payload(role)}, actor=actor)
    db.session.commit()
    return role


def delete_role(role: Role, actor: str | None = None) -> None:
    """Delete a custom role; its members simply lose it."""
    if role.is_builtin:
        raise Conflict("Built-in roles cannot be deleted.")
    payload = _payload(role)
    db.session.delete(role)
    events.emit("role.deleted", {"role": payload}, actor=actor)
    db.session.commit()
