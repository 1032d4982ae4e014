"""Administrators: creation (CLI and panel), sign-in checks and TOTP enrolment.

Sign-in, sign-out and failed sign-ins are audited in the audit log of every
tenant the admin is a member of (an unknown email has no tenant to be audited
in) and logged without secrets. Failures lock the account (:mod:`.lockout`).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time

import pyotp
import sqlalchemy as sa
from flask import current_app

from authsvc import secretbox
from authsvc.admins import lockout
from authsvc.admins.models import Admin, AdminMembership
from authsvc.audit import service as audit
from authsvc.db import utcnow
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.passwords import hash_password, verify_password
from authsvc.tenancy import tenant_context
from authsvc.tenants.models import Tenant
from authsvc.users.emails import clean_email

log = logging.getLogger(__name__)


def create_admin(
    email: str, password: str, tenant: Tenant | None = None, existing_ok: bool = True
) -> Admin:
    """Create (or extend) an admin: platform-wide, or of ``tenant`` when given.

    An existing admin with this email gains the tenant membership; the
    password is only set when the account is new. With ``existing_ok=False``
    an existing email is refused (Conflict) instead, so a password given for
    it is never silently ignored.
    """
    import re

    # Imported here: the users schemas import the API package, which imports this module's
    # callers; a module-level import would make importing the admin panel first circular.
    from authsvc.users.schemas import EMAIL_PATTERN

    if not re.match(EMAIL_PATTERN, email.strip()):
        raise ValidationFailed(errors={"email": ["Not an email address."]})
    _shown, email = clean_email(email)
    admin = _find(email)
    if admin is not None and not existing_ok:
        raise Conflict(
            f"An administrator {email} already exists; "
            "change its password with `authsvc admins set-password`."
        )
    if admin is None:
        if len(password) < 8:
            raise ValidationFailed(errors={"password": ["Use at least 8 characters."]})
        admin = Admin(email=email, password_hash=hash_password(password))
        db.session.add(admin)
    if tenant is None:
        admin.is_platform_admin = True
    elif all(m.tenant_id != tenant.id for m in admin.memberships):
        admin.memberships.append(AdminMembership(tenant_id=tenant.id))
    db.session.commit()
    return admin


TOTP_PURPOSE = "admin-totp"


def _find(email: str) -> Admin | None:
    return db.session.execute(sa.select(Admin).where(Admin.email == email)).scalar_one_or_none()


def get_admin(email: str) -> Admin:
    admin = _find(clean_email(email)[1])
    if admin is None:
        raise NotFound(f"No administrator {email}.")
    return admin


def list_admins() -> list[Admin]:
    """Every administrator, platform admins first, then by email."""
    statement = sa.select(Admin).order_by(Admin.is_platform_admin.desc(), Admin.email)
    return list(db.session.execute(statement).scalars())


def set_password(admin: Admin, password: str, actor: str) -> None:
    """A new password; the admin's panel sessions end (their cookies carry the old epoch)."""
    if len(password) < 8:
        raise ValidationFailed(errors={"password": ["Use at least 8 characters."]})
    admin.password_hash = hash_password(password)
    admin.session_epoch += 1
    stage_audit(admin, "admin.password_set", actor, {"email": admin.email})
    db.session.commit()


def remove_admin(admin: Admin, actor: str) -> None:
    """Delete an administrator; the last active platform admin cannot be removed."""
    if admin.is_platform_admin and admin.is_active:
        platform = Admin.is_platform_admin.is_(True) & Admin.is_active.is_(True)
        others = db.session.execute(
            sa.select(sa.func.count()).select_from(Admin).where(platform, Admin.id != admin.id)
        ).scalar_one()
        if others == 0:
            raise Conflict("This is the last platform administrator; create another one first.")
    stage_audit(admin, "admin.removed", actor, {"email": admin.email})
    db.session.delete(admin)
    db.session.commit()


def authenticate(email: str, password: str) -> Admin | None:
    """The active admin with this email and password, else None.

    A locked email is refused before any hashing. An unknown email still costs
    one password hash and counts towards a lock, so neither response times nor
    locks reveal which emails have accounts.
    """
    email = lockout.normalize_email(email)
    if lockout.locked_for(email):
        return None
    admin = db.session.execute(sa.select(Admin).where(Admin.email == email)).scalar_one_or_none()
    if admin is None:
        verify_password(_dummy_hash(), password)
    if admin is None or not verify_password(admin.password_hash, password) or not admin.is_active:
        failed_sign_in(email, admin, "password")
        return None
    lockout.clear(email)
    db.session.commit()
    return admin


def failed_sign_in(email: str, admin: Admin | None, step: str) -> None:
    """Count a failed sign-in step (``password`` or ``totp``) of ``email`` and audit it."""
    locked = lockout.count_failure(email)
    if admin is not None:
        changes = {"email": admin.email, "step": step, "locked": locked}
        stage_audit(admin, "admin.login_failed", "anonymous", changes)
    db.session.commit()


def is_locked(admin: Admin) -> bool:
    """Whether failed attempts have locked this admin's sign-in for now."""
    return lockout.locked_for(admin.email) > 0


def stage_audit(admin: Admin, action: str, actor: str, changes: dict) -> None:
    """Stage ``action`` in the audit log of each of the admin's tenants; the caller commits."""
    log.info("%s admin_id=%s", action, admin.id)
    for membership in admin.memberships:
        with tenant_context(membership.tenant_id):
            audit.stage(action, actor, ("admin", admin.id), changes)
            # New rows take the tenant bound when they are flushed: flush while it is.
            db.session.flush()


def _dummy_hash() -> str:
    state = current_app.extensions.setdefault("authsvc.admins", {})
    if "dummy_hash" not in state:
        state["dummy_hash"] = hash_password(secrets.token_urlsafe(16))
    return state["dummy_hash"]


def record_login(admin: Admin) -> None:
    """A completed sign-in: stamped on the account and audited."""
    admin.last_login_at = utcnow()
    stage_audit(admin, "admin.login", f"admin:{admin.email}", {"email": admin.email})
    db.session.commit()


def sign_out(admin: Admin) -> None:
    """Audit a sign-out and end every panel session of ``admin``."""
    stage_audit(admin, "admin.logout", f"admin:{admin.email}", {"email": admin.email})
    end_all_sessions(admin)


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(admin: Admin, secret: str) -> str:
    """The otpauth:// URI an authenticator app enrols from."""
    return totp_uri_for(admin.email, secret)


def totp_uri_for(email: str, secret: str) -> str:
    """The otpauth:// URI of ``email``'s account (also before the account exists)."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name="authsvc admin")


def accepted_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step ``code`` matches (one step of clock drift allowed), unless replayed."""
    code = (code or "").strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None


def _secret(admin: Admin) -> str:
    return secretbox.decrypt(admin.totp_secret_encrypted, TOTP_PURPOSE).decode()


def verify_totp(admin: Admin, code: str) -> bool:
    """Check a code against the admin's enrolled secret; each code works once."""
    if not admin.has_totp:
        return False
    step = accepted_step(_secret(admin), code, admin.totp_last_step)
    if step is None:
        return False
    admin.totp_last_step = step
    db.session.commit()
    return True


def enable_totp(admin: Admin, secret: str, code: str) -> bool:
    """Enrol ``secret`` once the admin proves their app produces its codes."""
    step = accepted_step(secret, code, None)
    if step is None:
        return False
    admin.totp_secret_encrypted = secretbox.encrypt(secret.encode(), TOTP_PURPOSE)
    admin.totp_last_step = step
    stage_audit(admin, "admin.mfa_enabled", f"admin:{admin.email}", {"email": admin.email})
    db.session.commit()
    return True


def reset_totp(admin: Admin, actor: str) -> None:
    """Forget the admin's TOTP secret (audited as ``admin.mfa_disabled`` by ``actor``)."""
    admin.totp_secret_encrypted = admin.totp_last_step = None
    stage_audit(admin, "admin.mfa_disabled", actor, {"email": admin.email})
    db.session.commit()


def end_all_sessions(admin: Admin) -> None:
    """Invalidate every panel session of ``admin`` (their cookies carry the old epoch)."""
    admin.session_epoch += 1
    db.session.commit()
