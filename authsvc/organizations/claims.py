"""The organization claims of an access token, read with the user the token is for.

A token carries ``org_id``, ``org_slug``, ``org_roles`` and ``org_permissions``
for its session's active organization (:mod:`authsvc.organizations.active`): the
roles the user holds there and the permissions those roles grant. They are read
in the same statement as the user's own row, by the paths that change or renew
a session (a switch, a refresh), so issuing a token never queries for them and a
tenant without organizations pays nothing. A user who left the organization
meanwhile gets tokens without them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from authsvc.errors import NotFound
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.organizations.models import Membership, MembershipRole, Organization
from authsvc.users.models import Role, User
from authsvc.users.reads import UserRow, collect, read_user_row, select_user_rows


@dataclass(frozen=True, slots=True)
class OrganizationAccess:
    """What a user holds in one organization; ``membership_id`` is None for a non-member."""

    organization_id: uuid.UUID
    slug: str
    domains: tuple[str, ...]
    membership_id: uuid.UUID | None
    roles: tuple[str, ...]
    permissions: tuple[str, ...]

    def claims(self) -> dict[str, Any]:
        """The token claims, or none for a non-member."""
        if self.membership_id is None:
            return {}
        return {
            "org_id": str(self.organization_id),
            "org_slug": self.slug,
            "org_roles": list(self.roles),
            "org_permissions": list(self.permissions),
        }


_OrgRole = aliased(Role, name="org_role")
# Built once, like the user read itself: the organization, the user's membership in
# it and that membership's roles, outer-joined beside the user's row. One result row
# per (user role, organization role) pair; both sets are small.
_USER_IN_ORGANIZATION = (
    select_user_rows(
        Organization.id.label("org_id"),
        Organization.slug.label("org_slug"),
        Organization.domains.label("org_domains"),
        Membership.id.label("membership_id"),
        _OrgRole.name.label("org_role"),
        _OrgRole.permissions.label("org_permissions"),
    )
    .outerjoin(Organization, Organization.id == sa.bindparam("org_id"))
    .outerjoin(
        Membership,
        sa.and_(Membership.organization_id == Organization.id, Membership.user_id == User.id),
    )
    .outerjoin(MembershipRole, MembershipRole.membership_id == Membership.id)
    .outerjoin(_OrgRole, _OrgRole.id == MembershipRole.role_id)
    .where(User.id == sa.bindparam("user_id"))
)


def read_user_in(
    user_id: str | uuid.UUID, org_id: uuid.UUID | None
) -> tuple[UserRow, OrganizationAccess | None]:
    """The user's row and what they hold in organization ``org_id``, in one statement.

    The access is None when ``org_id`` is None or names no organization of the bound
    tenant; NotFound when the user is not the bound tenant's.
    """
    if org_id is None:
        return read_user_row(user_id), None
    params = {"user_id": parse_id(user_id, "user"), "org_id": org_id}
    rows = db.session.execute(_USER_IN_ORGANIZATION, params).all()
    found = collect(rows)
    if not found:
        raise NotFound(f"No user with id {user_id}.")
    first = rows[0]
    if first.org_id is None:
        return found[0][0], None
    roles = {row.org_role for row in rows if row.org_role is not None}
    granted = {p for row in rows if row.org_role is not None for p in row.org_permissions or []}
    access = OrganizationAccess(
        organization_id=first.org_id,
        slug=first.org_slug,
        domains=tuple(first.org_domains or ()),
        membership_id=first.membership_id,
        roles=tuple(sorted(roles)),
        permissions=tuple(sorted(granted)),
    )
    return found[0][0], access
