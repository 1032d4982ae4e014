"""Bulk actions on selected users: one transaction per action, one event per changed user.

Users already in the wanted state are left alone and get no event, so the
count an admin sees is the number of users the action changed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from authsvc import events
from authsvc.auth.tenant_policy import policy_for
from authsvc.errors import NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.sessions import service as sessions
from authsvc.tenancy import current_tenant_id
from authsvc.tenants.models import Tenant
from authsvc.users.models import Role, User, UserRole
from authsvc.users.service import user_payload

#: At most one page of the list (its largest size) is selected at a time.
MAX_USERS = 100
FLAGS = {
    "disable": ("is_active", False),
    "enable": ("is_active", True),
    "verify": ("is_verified", True),
}
ACTIONS = (*FLAGS, "add_role", "remove_role", "revoke_sessions", "delete")


def get_users(ids: list[str]) -> list[User]:
    """The bound tenant's users with these ids; NotFound if any is not one of them."""
    if not ids or len(ids) > MAX_USERS:
        raise ValidationFailed(errors={"ids": [f"Select between 1 and {MAX_USERS} users."]})
    wanted = {parse_id(raw, "user") for raw in ids}
    statement = (
        sa.select(User)
        .where(User.id.in_(wanted))
        .options(joinedload(User.role_links).joinedload(UserRole.role))
        .order_by(User.email_normalized)
    )
    users = list(db.session.execute(statement).unique().scalars())
    if len(users) != len(wanted):
        raise NotFound("Some of the selected users do not exist.")
    return users


def find_role(name: str | None) -> Role:
    role = db.session.execute(sa.select(Role).where(Role.name == (name or ""))).scalar_one_or_none()
    if role is None:
        raise ValidationFailed(errors={"role": ["Choose an existing role."]})
    return role


def apply(users: list[User], action: str, role_name: str | None, actor: str) -> int:
    """Run ``action`` on ``users`` and commit once; returns how many users changed."""
    if action not in ACTIONS:
        raise ValidationFailed(errors={"action": ["Unknown action."]})
    if action in FLAGS:
        changed = _set_flag(users, *FLAGS[action], actor)
    elif action in ("add_role", "remove_role"):
        changed = _change_role(users, find_role(role_name), action == "add_role", actor)
    elif action == "revoke_sessions":
        changed = _revoke_sessions(users, actor)
    else:
        changed = _delete(users, actor)
    db.session.commit()
    return changed


def _updated(users: list[User], changes: Callable[[User], bool], field: str, actor: str) -> int:
    changed = [user for user in users if changes(user)]
    db.session.flush()
    items = [
        ("user.updated", {"user": user_payload(u), "changed": [field]}, actor) for u in changed
    ]
    events.emit_many(items)
    return len(changed)


def _set_flag(users: list[User], name: str, value: bool, actor: str) -> int:
    def change(user: User) -> bool:
        if getattr(user, name) == value:
            return False
        setattr(user, name, value)
        return True

    return _updated(users, change, name, actor)


def _change_role(users: list[User], role: Role, add: bool, actor: str) -> int:
    def change(user: User) -> bool:
        has = any(link.role_id == role.id for link in user.role_links)
        if has == add:
            return False
        if add:
            user.role_links.append(UserRole(role_id=role.id, role=role))
        else:
            user.role_links = [link for link in user.role_links if link.role_id != role.id]
        return True

    return _updated(users, change, "roles", actor)


def _revoke_sessions(users: list[User], actor: str) -> int:
    policy = policy_for(db.session.get(Tenant, current_tenant_id()))
    revoked = [sessions.revoke_all(user.id, "admin_revoked", policy, actor) for user in users]
    return sum(1 for count in revoked if count)


def _delete(users: list[User], actor: str) -> int:
    payloads: list[dict[str, Any]] = [user_payload(user) for user in users]
    for user in users:
        db.session.delete(user)
    events.emit_many([("user.deleted", {"user": payload}, actor) for payload in payloads])
    return len(users)
