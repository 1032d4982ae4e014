"""The organization claims of an access token, computed once when it is issued.

They come from the session's remembered choice (:mod:`authsvc.organizations.active`):
the roles the user holds in that organization and the permissions those roles
grant. A user who left the organization meanwhile gets tokens without them.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.organizations.models import (
    ActiveOrganization,
    Membership,
    MembershipRole,
    Organization,
)
from authsvc.users.models import Role


def token_claims(user_id: uuid.UUID, session_id: uuid.UUID) -> dict[str, Any]:
    """``org_id``, ``org_slug``, ``org_roles`` and ``org_permissions`` for the session's
    active organization, or nothing when it has none (one query either way)."""
    rows = db.session.execute(
        sa.select(Organization.id, Organization.slug, Role.name, Role.permissions)
        .join(ActiveOrganization, ActiveOrganization.organization_id == Organization.id)
        .join(
            Membership,
            sa.and_(Membership.organization_id == Organization.id, Membership.user_id == user_id),
        )
        .outerjoin(MembershipRole, MembershipRole.membership_id == Membership.id)
        .outerjoin(Role, Role.id == MembershipRole.role_id)
        .where(ActiveOrganization.session_id == session_id)
    ).all()
    if not rows:
        return {}
    roles = sorted({row.name for row in rows if row.name})
    granted = sorted({p for row in rows if row.name for p in row.permissions or []})
    return {
        "org_id": str(rows[0].id),
        "org_slug": rows[0].slug,
        "org_roles": roles,
        "org_permissions": granted,
    }
