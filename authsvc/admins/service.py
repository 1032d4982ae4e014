"""Administrators: creation (CLI and panel), sign-in checks and TOTP enrolment."""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import sqlalchemy as sa
from flask import current_app

from authsvc import secretbox
from authsvc.admins.models import Admin, AdminMembership
from authsvc.db import utcnow
from authsvc.errors import ValidationFailed
from authsvc.extensions import db
from authsvc.passwords import hash_password, verify_password
from authsvc.tenants.models import Tenant
from authsvc.users.emails import clean_email, login_key


def create_admin(email: str, password: str, tenant: Tenant | None = None) -> Admin:
    """Create (or extend) an admin: platform-wide, or of ``tenant`` when given.

    An existing admin with this email gains the tenant membership; the
    password is only set when the account is new.
    """
    import re

    # Imported here: the users schemas import the API package, which imports this module's
    # callers; a module-level import would make importing the admin panel first circular.
    from authsvc.users.schemas import EMAIL_PATTERN

    if not re.match(EMAIL_PATTERN, email.strip()):
        raise ValidationFailed(errors={"email": ["Not an email address."]})
    _shown, email = clean_email(email)
    admin = db.session.execute(sa.select(Admin).where(Admin.email == email)).scalar_one_or_none()
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


def authenticate(email: str, password: str) -> Admin | None:
    """The active admin with this email and password, else None.

    An unknown email still costs one password hash, so response times do not
    reveal which emails have accounts.
    """
    admin = db.session.execute(
        sa.select(Admin).where(Admin.email == login_key(email))
    ).scalar_one_or_none()
    if admin is None:
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(admin.password_hash, password) or not admin.is_active:
        return None
    return admin


def _dummy_hash() -> str:
    state = current_app.extensions.setdefault("authsvc.admins", {})
    if "dummy_hash" not in state:
        state["dummy_hash"] = hash_password(secrets.token_urlsafe(16))
    return state["dummy_hash"]


def record_login(admin: Admin) -> None:
    admin.last_login_at = utcnow()
    db.session.commit()


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(admin: Admin, secret: str) -> str:
    """The otpauth:// URI an authenticator app enrols from."""
    return pyotp.TOTP(secret).provisioning_uri(name=admin.email, issuer_name="authsvc admin")


def _accepted_step(secret: str, code: str, last_step: int | None) -> int | None:
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
    step = _accepted_step(_secret(admin), code, admin.totp_last_step)
    if step is None:
        return False
    admin.totp_last_step = step
    db.session.commit()
    return True


def enable_totp(admin: Admin, secret: str, code: str) -> bool:
    """Enrol ``secret`` once the admin proves their app produces its codes."""
    step = _accepted_step(secret, code, None)
    if step is None:
        return False
    admin.totp_secret_encrypted = secretbox.encrypt(secret.encode(), TOTP_PURPOSE)
    admin.totp_last_step = step
    db.session.commit()
    return True


def reset_totp(admin: Admin) -> None:
    admin.totp_secret_encrypted = admin.totp_last_step = None
    db.session.commit()


def end_all_sessions(admin: Admin) -> None:
    """Invalidate every panel session of ``admin`` (their cookies carry the old epoch)."""
    admin.session_epoch += 1
    db.session.commit()
