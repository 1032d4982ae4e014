"""Members of an organization and the tenant roles they hold in it.

The built-in ``admin`` role makes a member an owner of the organization: the
last owner can be neither removed nor demoted, so an organization that has had
an owner always keeps one.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from authsvc import events
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.organizations.models import Membership, MembershipRole, Organization
from authsvc.pagination import Page, paginate
from authsvc.users.emails import email_key
from authsvc.users.models import Role, User
from authsvc.users.service import get_user

OWNER_ROLE = "admin"
DEFAULT_ROLES = ("member",)


def roles_named(names: list[str] | tuple[str, ...]) -> list[Role]:
    """The tenant's roles called ``names``; an unknown name is a 422."""
    wanted = sorted({str(name).strip().lower() for name in names})
    roles = list(db.session.execute(sa.select(Role).where(Role.name.in_(wanted))).scalars())
    unknown = sorted(set(wanted) - {role.name for role in roles})
    if unknown:
        raise ValidationFailed(errors={"roles": [f"Unknown role: {name}." for name in unknown]})
    return roles


def membership_payload(membership: Membership, email: str | None = None) -> dict[str, Any]:
    payload = {
        "id": str(membership.id),
        "organization_id": str(membership.organization_id),
        "user_id": str(membership.user_id),
        "roles": membership.roles,
        "created_at": membership.created_at.isoformat(),
    }
    if email is not None:
        payload["email"] = email
    return payload


def find_membership(org_id: uuid.UUID, user_id: uuid.UUID) -> Membership | None:
    return db.session.execute(
        sa.select(Membership).where(
            Membership.organization_id == org_id, Membership.user_id == user_id
        )
    ).scalar_one_or_none()


def get_membership(org: Organization, user_id: str) -> Membership:
    membership = find_membership(org.id, parse_id(user_id, "member"))
    if membership is None:
        raise NotFound(f"No member {user_id} in this organization.")
    return membership


def list_members(org: Organization, filters: dict[str, Any], cursor, limit: int) -> Page:
    """A page of ``org``'s members, oldest first, optionally by role or exact email."""
    statement = sa.select(Membership).where(Membership.organization_id == org.id)
    if filters.get("role"):
        statement = statement.where(
            Membership.role_links.any(MembershipRole.role.has(Role.name == filters["role"]))
        )
    if filters.get("email"):
        statement = statement.join(User, User.id == Membership.user_id).where(
            User.email_normalized == email_key(filters["email"])
        )
    return paginate(db.session, statement, Membership.id, cursor, limit)


def emails_of(memberships: list[Membership]) -> dict[uuid.UUID, str]:
    ids = [m.user_id for m in memberships]
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.email).where(User.id.in_(ids))).all())


def join(org: Organization, user_id: uuid.UUID, roles: list[Role]) -> Membership:
    """Stage a membership (no event, no commit): the callers say why it was created."""
    membership = Membership(organization_id=org.id, user_id=user_id)
    db.session.add(membership)
    db.session.flush()
    membership.role_links = [MembershipRole(role_id=r.id, role=r) for r in roles]
    db.session.flush()
    return membership


def add_member(org: Organization, data: dict[str, Any], actor: str | None) -> Membership:
    user = get_user(data.get("user_id") or "")
    roles = roles_named(data.get("roles") or DEFAULT_ROLES)
    if find_membership(org.id, user.id) is not None:
        raise Conflict("The user is already a member.", errors={"user_id": ["Already a member."]})
    membership = join(org, user.id, roles)
    events.emit("membership.created", {"membership": membership_payload(membership)}, actor)
    db.session.commit()
    return membership


def _keep_an_owner(membership: Membership, new_roles: list[str]) -> None:
    if OWNER_ROLE not in membership.roles or OWNER_ROLE in new_roles:
        return
    others = db.session.execute(
        sa.select(sa.func.count())
        .select_from(Membership)
        .where(
            Membership.organization_id == membership.organization_id,
            Membership.id != membership.id,
            Membership.role_links.any(MembershipRole.role.has(Role.name == OWNER_ROLE)),
        )
    ).scalar_one()
    if not others:
        raise Conflict(
            "This is the organization's last owner (role 'admin').",
            errors={"roles": ["Make another member an owner first."]},
        )


def update_member(membership: Membership, data: dict[str, Any], actor: str | None) -> Membership:
    roles = roles_named(data.get("roles") or [])
    if not roles:
        raise ValidationFailed(errors={"roles": ["Give at least one role."]})
    _keep_an_owner(membership, [role.name for role in roles])
    membership.role_links = [MembershipRole(role_id=r.id, role=r) for r in roles]
    db.session.flush()
    events.emit("membership.updated", {"membership": membership_payload(membership)}, actor)
    db.session.commit()
    return membership


def remove_member(membership: Membership, actor: str | None) -> None:
    _keep_an_owner(membership, [])
    payload = membership_payload(membership)
    db.session.delete(membership)
    events.emit("membership.deleted", {"membership": payload}, actor)
    db.session.commit()
