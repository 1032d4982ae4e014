"""Switching a session's active organization, and listing the user's organizations."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from authsvc import events
from authsvc.errors import NotFound, PermissionDenied
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.organizations import members
from authsvc.organizations.claims import OrganizationAccess, read_user_in
from authsvc.organizations.models import Membership, Organization
from authsvc.organizations.service import get_organization
from authsvc.sessions import service as sessions
from authsvc.users.emails import email_key
from authsvc.users.reads import UserRow


def _may_join_by_domain(access: OrganizationAccess, user: UserRow) -> bool:
    domain = email_key(user.email).rpartition("@")[2] if user.email else ""
    return user.is_verified and domain in access.domains


def _join_by_domain(access: OrganizationAccess, user: UserRow) -> OrganizationAccess:
    """Make the user a member by their verified address's domain, or refuse (403)."""
    if not _may_join_by_domain(access, user):
        raise PermissionDenied("You are not a member of this organization.")
    roles = members.roles_named(members.DEFAULT_ROLES)
    membership = members.join(get_organization(access.organization_id), user.id, roles)
    events.emit(
        "membership.created",
        {"membership": members.membership_payload(membership), "reason": "email_domain"},
        f"user:{user.id}",
    )
    permissions = sorted({p for role in roles for p in role.permissions or []})
    return replace(
        access,
        membership_id=membership.id,
        roles=tuple(membership.roles),
        permissions=tuple(permissions),
    )


def switch(
    user_id: str, session_id: uuid.UUID, org_id: str | None
) -> tuple[UserRow, dict[str, Any], str]:
    """Make ``org_id`` (or none) the session's active organization.

    Returns the user, the organization claims for their next access token and the
    session's next refresh token (its older ones are spent); the caller signs the
    access token. The user, the organization and the membership with its roles and
    permissions are one read; the session's change is one conditional UPDATE.
    """
    wanted = None if org_id is None else parse_id(org_id, "organization")
    user, access = read_user_in(user_id, wanted)
    if wanted is not None and access is None:
        raise NotFound(f"No organization with id {org_id}.")
    if access is not None and access.membership_id is None:
        access = _join_by_domain(access, user)
    raw = sessions.choose_organization(session_id, user.id, wanted)
    db.session.commit()
    return user, access.claims() if access is not None else {}, raw


def my_organizations(user_id: uuid.UUID) -> list[tuple[Organization, Membership]]:
    rows = db.session.execute(
        sa.select(Organization, Membership)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name, Organization.id)
    ).all()
    return [(row[0], row[1]) for row in rows]
