"""Emailed single-use links for administrators: invitations and password resets.

The link carries a random token; only its SHA-256 is stored, so a database
read does not yield working links. A token is spent by one conditional UPDATE
(``used_at IS NULL`` and not expired) in the same transaction as the account
change it authorises, so two clicks cannot both succeed and a failed change
leaves the link usable. Mail goes through the outbox, themed by the tenant the
sending admin works in, and commits with the token and its audit row.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask import url_for

from authsvc import secretbox
from authsvc.admins import service
from authsvc.admins.management import check_manageable
from authsvc.admins.models import PLATFORM, ROLES, VIEWER, Admin, AdminMembership, AdminToken
from authsvc.audit import service as audit
from authsvc.auth.tenant_policy import policy_for
from authsvc.db import utcnow
from authsvc.errors import NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.mail.service import queue_mail
from authsvc.passwords import hash_password
from authsvc.tenants.models import Tenant
from authsvc.users.emails import clean_email

INVITE, RESET = "invite", "reset"
LIFETIMES = {INVITE: timedelta(days=3), RESET: timedelta(hours=1)}
BAD_LINK = "This link is not valid any more: it was used, it expired, or it is mistyped."


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _issue(
    purpose: str, email: str, tenant: Tenant, role: str, actor: str
) -> tuple[str, AdminToken]:
    raw = secrets.token_urlsafe(32)
    token = AdminToken(
        purpose=purpose,
        email=email,
        token_hash=token_hash(raw),
        invited_tenant_id=None if role == PLATFORM else tenant.id,
        role=role,
        invited_by=actor,
        expires_at=utcnow() + LIFETIMES[purpose],
    )
    db.session.add(token)
    db.session.flush()
    return raw, token


def invite(viewer: Admin, email: str, role: str, tenant: Tenant, actor: str) -> AdminToken:
    """Mail ``email`` a link to become an admin of ``tenant`` (or platform) with ``role``."""
    # Imported here for the reason create_admin gives (an import cycle through the API package).
    from authsvc.users.schemas import EMAIL_PATTERN

    errors: dict[str, list[str]] = {}
    if not re.match(EMAIL_PATTERN, (email or "").strip()):
        errors["email"] = ["Enter an email address like ada@example.com."]
    if role not in ROLES:
        errors["role"] = ["Choose one of the listed roles."]
    elif role == PLATFORM and not viewer.is_platform_admin:
        errors["role"] = ["Only a platform admin can invite platform admins."]
    if errors:
        raise ValidationFailed(errors=errors)
    email = clean_email(email)[1]
    if db.session.execute(sa.select(Admin.id).where(Admin.email == email)).first():
        raise ValidationFailed(errors={"email": ["This person is already an administrator."]})
    raw, token = _issue(INVITE, email, tenant, role, actor)
    link = url_for("admin.accept_invitation", token=raw, _external=True)
    context = {"link": link, "role": ROLES[role], "inviter": viewer.email, "days": 3}
    queue_mail(to=email, template="admin_invitation", context=context)
    audit.stage("admin.invited", actor, ("invitation", token.id), {"email": email, "role": role})
    db.session.commit()
    return token


def send_reset(viewer: Admin, admin: Admin, tenant: Tenant, actor: str) -> None:
    """Mail ``admin`` a single-use link to choose a new password (one hour)."""
    check_manageable(viewer, admin, tenant.id)
    raw, _token = _issue(RESET, admin.email, tenant, admin.role, actor)
    link = url_for("admin.reset_password", token=raw, _external=True)
    context = {"link": link, "minutes": 60}
    queue_mail(to=admin.email, template="admin_password_reset", context=context)
    audit.stage("admin.password_reset_sent", actor, ("admin", admin.id), {"email": admin.email})
    db.session.commit()


def pending(raw: str | None, purpose: str) -> AdminToken | None:
    """The unused, unexpired token of ``purpose`` a link carries, else None."""
    if not raw or len(raw) > 100:
        return None
    token = db.session.execute(
        sa.select(AdminToken).where(AdminToken.token_hash == token_hash(raw))
    ).scalar_one_or_none()
    if token is None or token.purpose != purpose or token.used_at is not None:
        return None
    return token if token.expires_at > utcnow() else None


def _spend(token: AdminToken) -> None:
    """Mark ``token`` used, unless another request spent it first (then refuse)."""
    spent = db.session.execute(
        sa.update(AdminToken)
        .where(AdminToken.id == token.id, AdminToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount != 1:
        db.session.rollback()
        raise ValidationFailed(errors={"token": [BAD_LINK]})


def totp_required(token: AdminToken) -> bool:
    """Whether the invited tenant's policy makes its administrators use TOTP."""
    tenant = db.session.get(Tenant, token.invited_tenant_id) if token.invited_tenant_id else None
    return bool(tenant and policy_for(tenant).require_mfa_for_admins)


def accept(token: AdminToken, password: str, totp_secret: str | None, code: str | None) -> Admin:
    """Create the invited admin with ``password`` (and TOTP when the tenant requires it)."""
    errors: dict[str, list[str]] = {}
    if len(password or "") < 8:
        errors["password"] = ["Use at least 8 characters."]
    step = None
    if totp_required(token):
        step = service.accepted_step(totp_secret or "", code or "", None)
        if step is None:
            errors["code"] = ["That code is not valid. Check your device's clock and try again."]
    if db.session.execute(sa.select(Admin.id).where(Admin.email == token.email)).first():
        errors["token"] = ["This person is already an administrator."]
    if errors:
        raise ValidationFailed(errors=errors)
    _spend(token)
    admin = Admin(email=token.email, password_hash=hash_password(password))
    admin.is_platform_admin = token.role == PLATFORM
    admin.read_only = token.role == VIEWER
    if token.invited_tenant_id is not None:
        admin.memberships.append(AdminMembership(tenant_id=token.invited_tenant_id))
    if step is not None:
        admin.totp_secret_encrypted = secretbox.encrypt(totp_secret.encode(), service.TOTP_PURPOSE)
        admin.totp_last_step = step
    db.session.add(admin)
    db.session.flush()
    changes = {"email": admin.email, "role": token.role}
    service.stage_audit(admin, "admin.invitation_accepted", f"admin:{admin.email}", changes)
    db.session.commit()
    return admin


def reset(token: AdminToken, password: str) -> Admin:
    """Set the password a reset link was sent for; the link is spent with it."""
    admin = db.session.execute(
        sa.select(Admin).where(Admin.email == token.email)
    ).scalar_one_or_none()
    if admin is None or not admin.is_active:
        raise ValidationFailed(errors={"token": [BAD_LINK]})
    if len(password or "") < 8:
        raise ValidationFailed(errors={"password": ["Use at least 8 characters."]})
    _spend(token)
    service.set_password(admin, password, f"admin:{admin.email}")
    return admin


def pending_invitations(viewer: Admin, tenant_id: uuid.UUID | None) -> list[AdminToken]:
    """Unused, unexpired invitations ``viewer`` may see: all for a platform admin, else
    those to the current tenant."""
    statement = (
        sa.select(AdminToken)
        .where(
            AdminToken.purpose == INVITE,
            AdminToken.used_at.is_(None),
            AdminToken.expires_at > utcnow(),
        )
        .order_by(AdminToken.created_at.desc())
    )
    if not viewer.is_platform_admin:
        statement = statement.where(AdminToken.invited_tenant_id == tenant_id)
    return list(db.session.execute(statement).scalars())


def find_invitation(viewer: Admin, tenant_id: uuid.UUID | None, token_id: str) -> AdminToken:
    """A pending invitation ``viewer`` may see; any other id is not found."""
    wanted = parse_id(token_id, "invitation")
    for token in pending_invitations(viewer, tenant_id):
        if token.id == wanted:
            return token
    raise NotFound("No such pending invitation.")


def revoke_invitation(token: AdminToken, actor: str) -> None:
    """Spend an invitation unused, so its link stops working."""
    _spend(token)
    changes = {"email": token.email, "role": token.role}
    audit.stage("admin.invitation_revoked", actor, ("invitation", token.id), changes)
    db.session.commit()
