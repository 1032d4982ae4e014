"""Switching a session's active organization, and listing the user's organizations."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from authsvc import events
from authsvc.errors import PermissionDenied
from authsvc.extensions import db
from authsvc.organizations import members
from authsvc.organizations.models import ActiveOrganization, Membership, Organization
from authsvc.organizations.service import get_organization
from authsvc.sessions import service as sessions
from authsvc.users.emails import email_key
from authsvc.users.reads import UserRow


def _may_join_by_domain(org: Organization, user: UserRow) -> bool:
    domain = email_key(user.email).rpartition("@")[2] if user.email else ""
    return user.is_verified and domain in (org.domains or [])


def _membership_for(org: Organization, user: UserRow) -> Membership:
    """The user's membership, created when their verified address is in the org's domains."""
    membership = members.find_membership(org.id, user.id)
    if membership is not None:
        return membership
    if not _may_join_by_domain(org, user):
        raise PermissionDenied("You are not a member of this organization.")
    membership = members.join(org, user.id, members.roles_named(members.DEFAULT_ROLES))
    events.emit(
        "membership.created",
        {"membership": members.membership_payload(membership), "reason": "email_domain"},
        f"user:{user.id}",
    )
    return membership


def switch(user: UserRow, session_id: uuid.UUID, org_id: str | None) -> str:
    """Make ``org_id`` (or none) the session's active organization; returns the session's
    next refresh token (its older ones are spent). The caller signs the access token."""
    session = sessions.get_session(session_id, user_id=user.id)
    current = db.session.execute(
        sa.select(ActiveOrganization).where(ActiveOrganization.session_id == session.id)
    ).scalar_one_or_none()
    if org_id is None:
        if current is not None:
            db.session.delete(current)
    else:
        org = get_organization(org_id)
        _membership_for(org, user)
        if current is None:
            db.session.add(ActiveOrganization(session_id=session.id, organization_id=org.id))
        else:
            current.organization_id = org.id
    raw = sessions.replace_refresh_token(session)
    db.session.commit()
    return raw


def my_organizations(user_id: uuid.UUID) -> list[tuple[Organization, Membership]]:
    rows = db.session.execute(
        sa.select(Organization, Membership)
        .join(Membership, Membership.organization_id == Organization.id)
        .where(Membership.user_id == user_id)
        .order_by(Organization.name, Organization.id)
    ).all()
    return [(row[0], row[1]) for row in rows]
