"""Invitations into an organization: mailed, single use, expiring and revocable.

Only the SHA-256 of an invitation's token is stored; the plaintext travels in
the mail alone (queued in the creating transaction, themed like every mail).
Accepting spends the invitation with a conditional UPDATE, so of two requests
racing with one token exactly one creates the membership.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app

from authsvc import events
from authsvc.auth.tenant_policy import policy_for
from authsvc.db import utcnow
from authsvc.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.mail import queue_mail
from authsvc.mail.service import recipient_address
from authsvc.organizations import members
from authsvc.organizations.models import ACCEPTED, PENDING, REVOKED, Invitation, Organization
from authsvc.pagination import Page, paginate
from authsvc.tenancy import current_tenant_id
from authsvc.tenants.models import Tenant
from authsvc.users.emails import email_key
from authsvc.users.models import Role, User

TEMPLATE = "organization_invitation"
STATES = (PENDING, ACCEPTED, REVOKED, "expired")


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def state_of(invitation: Invitation) -> str:
    if invitation.state == PENDING and invitation.expires_at <= utcnow():
        return "expired"
    return invitation.state


def invitation_payload(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": str(invitation.id),
        "organization_id": str(invitation.organization_id),
        "email": invitation.email,
        "roles": list(invitation.roles),
        "state": state_of(invitation),
        "inviter": invitation.inviter,
        "expires_at": invitation.expires_at.isoformat(),
        "created_at": invitation.created_at.isoformat(),
    }


def accept_link(tenant: Tenant, raw: str) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/t/{tenant.slug}/invitations/accept?{urlencode({'token': raw})}"


def get_invitation(org: Organization, invitation_id: str) -> Invitation:
    found = db.session.execute(
        sa.select(Invitation).where(
            Invitation.id == parse_id(invitation_id, "invitation"),
            Invitation.organization_id == org.id,
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound(f"No invitation with id {invitation_id}.")
    return found


def list_invitations(org: Organization, state: str | None, cursor, limit: int) -> Page:
    statement = sa.select(Invitation).where(Invitation.organization_id == org.id)
    now = utcnow()
    if state == "expired":
        statement = statement.where(Invitation.state == PENDING, Invitation.expires_at <= now)
    elif state == PENDING:
        statement = statement.where(Invitation.state == PENDING, Invitation.expires_at > now)
    elif state:
        statement = statement.where(Invitation.state == state)
    return paginate(db.session, statement, Invitation.id, cursor, limit)


def _refuse_duplicates(org: Organization, key: str) -> None:
    member = db.session.execute(
        sa.select(User.id).where(User.email_normalized == key)
    ).scalar_one_or_none()
    if member is not None and members.find_membership(org.id, member) is not None:
        raise Conflict("This address belongs to a member.", errors={"email": ["Already a member."]})
    pending = db.session.execute(
        sa.select(Invitation.id).where(
            Invitation.organization_id == org.id,
            Invitation.email_normalized == key,
            Invitation.state == PENDING,
            Invitation.expires_at > utcnow(),
        )
    ).first()
    if pending is not None:
        raise Conflict("An invitation is pending.", errors={"email": ["Revoke it first."]})


def create_invitation(org: Organization, data: dict[str, Any], actor: str | None) -> Invitation:
    """Stage the invitation, its mail and its event; one commit."""
    address = str(data.get("email") or "")
    key = email_key(address)
    roles = [role.name for role in members.roles_named(data.get("roles") or members.DEFAULT_ROLES)]
    _refuse_duplicates(org, key)
    tenant = db.session.get(Tenant, current_tenant_id())
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization_id=org.id,
        email=recipient_address(address),
        email_normalized=key,
        roles=roles,
        token_hash=token_hash(raw),
        expires_at=utcnow() + timedelta(seconds=policy_for(tenant).invitation_ttl_seconds),
        inviter=actor,
    )
    db.session.add(invitation)
    db.session.flush()
    context = {"tenant": tenant, "organization": org, "link": accept_link(tenant, raw)}
    queue_mail(to=invitation.email, template=TEMPLATE, context=context)
    events.emit("invitation.created", {"invitation": invitation_payload(invitation)}, actor)
    db.session.commit()
    return invitation


def revoke_invitation(invitation: Invitation, actor: str | None) -> Invitation:
    if invitation.state != PENDING:
        raise Conflict(f"The invitation is {invitation.state}; only a pending one is revoked.")
    invitation.state, invitation.revoked_at = REVOKED, utcnow()
    db.session.flush()
    events.emit("invitation.revoked", {"invitation": invitation_payload(invitation)}, actor)
    db.session.commit()
    return invitation


def find_by_token(raw: str) -> Invitation:
    """The invitation behind ``raw`` if it can still be accepted; else one clear 422."""
    invitation = db.session.execute(
        sa.select(Invitation).where(Invitation.token_hash == token_hash(raw or ""))
    ).scalar_one_or_none()
    reason = None if invitation is None else state_of(invitation)
    if reason != PENDING:
        detail = {
            None: "The invitation link is not valid.",
            ACCEPTED: "The invitation has already been used.",
            REVOKED: "The invitation was revoked.",
            "expired": "The invitation has expired; ask for a new one.",
        }[reason]
        raise ValidationFailed(detail, errors={"token": [detail]})
    return invitation


def _check_recipient(invitation: Invitation, user: User) -> None:
    tenant = db.session.get(Tenant, current_tenant_id())
    if user.email_normalized != invitation.email_normalized and not (
        policy_for(tenant).invitation_any_email
    ):
        raise PermissionDenied("The invitation was sent to another email address.")
    if members.find_membership(invitation.organization_id, user.id) is not None:
        raise Conflict("You are already a member of this organization.")


def accept_invitation(raw: str, user: User) -> uuid.UUID:
    """Spend the invitation and make ``user`` a member; returns the organization's id."""
    invitation = find_by_token(raw)
    _check_recipient(invitation, user)
    now = utcnow()
    spent = db.session.execute(
        sa.update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.state == PENDING)
        .values(state=ACCEPTED, accepted_by=user.id, accepted_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        raise ValidationFailed(errors={"token": ["The invitation has already been used."]})
    # Roles deleted since the invitation was sent are skipped, never an error here.
    named = sa.select(Role).where(Role.name.in_(invitation.roles))
    roles = list(db.session.execute(named).scalars())
    org = db.session.get(Organization, (invitation.tenant_id, invitation.organization_id))
    membership = members.join(org, user.id, roles or members.roles_named(members.DEFAULT_ROLES))
    db.session.refresh(invitation)
    actor = f"user:{user.id}"
    events.emit_many(
        [
            ("invitation.accepted", {"invitation": invitation_payload(invitation)}, actor),
            ("membership.created", {"membership": members.membership_payload(membership)}, actor),
        ]
    )
    db.session.commit()
    return invitation.organization_id
