"""Organizations' part of a user's export and erasure: memberships and invitations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.organizations.models import Invitation, Membership, Organization
from authsvc.users.gdpr import Erasure, Section
from authsvc.users.models import User


def _invitations_of(user: User) -> sa.ColumnElement[bool]:
    return sa.or_(
        Invitation.email_normalized == user.email_normalized, Invitation.accepted_by == user.id
    )


def export(user: User) -> dict[str, list[dict[str, Any]]]:
    memberships = db.session.execute(
        sa.select(Membership, Organization.name, Organization.slug)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.created_at)
    ).all()
    invitations = db.session.execute(
        sa.select(Invitation, Organization.name)
        .join(Organization, Organization.id == Invitation.organization_id)
        .where(_invitations_of(user))
        .order_by(Invitation.created_at)
    ).all()
    return {
        "memberships": [
            {
                "organization": {"id": m.organization_id, "name": name, "slug": slug},
                "roles": sorted(link.role.name for link in m.role_links),
                "joined_at": m.created_at,
            }
            for m, name, slug in memberships
        ],
        "invitations": [
            {
                "organization": name,
                "email": i.email,
                "roles": i.roles,
                "state": i.state,
                "invited_at": i.created_at,
                "accepted_at": i.accepted_at,
            }
            for i, name in invitations
        ],
    }


def erase(user: User, _erasure: Erasure) -> None:
    """Memberships go (their roles and the sessions' active organization with them, by
    the foreign keys' cascades); so do the invitations addressed to or accepted by them."""
    for statement in (
        sa.delete(Membership).where(Membership.user_id == user.id),
        sa.delete(Invitation).where(_invitations_of(user)),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))


SECTION = Section("organizations", ("memberships", "invitations"), export, erase)
