"""TOTP second factor: enrolment, confirmation, verification, recovery codes.

The secret is encrypted at rest; recovery codes are stored as SHA-256 and
each works once. A TOTP code is accepted at most once: the time step it was
accepted in is remembered, and that step or an earlier one is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
import time

import pyotp
import segno
import sqlalchemy as sa

from authsvc import events, secretbox
from authsvc.auth.models import MfaFactor
from authsvc.db import utcnow
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db

SECRET_PURPOSE = "totp-secret"  # noqa: S105 - a key label, not a secret
RECOVERY_CODES = 10
VALID_WINDOW = 1  # accept the previous and next 30-second step for clock drift


def _factor(user_id) -> MfaFactor | None:
    return db.session.execute(
        sa.select(MfaFactor).where(MfaFactor.user_id == user_id)
    ).scalar_one_or_none()


def is_enabled(user) -> bool:
    factor = _factor(user.id)
    return factor is not None and factor.confirmed_at is not None


def enrol(user, issuer_name: str) -> dict:
    """Start enrolment (or restart an unconfirmed one): secret, otpauth URI, QR as SVG."""
    factor = _factor(user.id)
    if factor is not None and factor.confirmed_at is not None:
        raise Conflict("TOTP is already enabled; disable it first.")
    secret = pyotp.random_base32()
    if factor is None:
        factor = MfaFactor(user_id=user.id, secret_encrypted="")
        db.session.add(factor)
    factor.secret_encrypted = secretbox.encrypt(secret.encode(), SECRET_PURPOSE)
    factor.recovery_code_hashes, factor.last_used_step = [], None
    db.session.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer_name)
    return {"secret": secret, "otpauth_uri": uri, "qr_svg": qr_svg(uri)}


def qr_svg(uri: str) -> str:
    """An ``otpauth://`` URI as a QR code in SVG (no XML declaration, safe to inline)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(
        buffer, kind="svg", scale=4, xmldecl=False, title="QR code for your authenticator app"
    )
    return buffer.getvalue().decode()


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def _accept_totp(factor: MfaFactor, code: str) -> bool:
    """Verify a TOTP code once: codes of an already-used time step are refused."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(secretbox.decrypt(factor.secret_encrypted, SECRET_PURPOSE).decode())
    now_step = int(time.time()) // totp.interval
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        candidate = totp.generate_otp(step)
        if hmac.compare_digest(candidate, code):
            if factor.last_used_step is not None and step <= factor.last_used_step:
                return False
            factor.last_used_step = step
            return True
    return False


def _accept_recovery(factor: MfaFactor, code: str) -> bool:
    digest = _hash_code(code)
    for stored in factor.recovery_code_hashes:
        if hmac.compare_digest(stored, digest):
            factor.recovery_code_hashes = [h for h in factor.recovery_code_hashes if h != stored]
            return True
    return False


def confirm(user, code: str) -> list[str]:
    """Finish enrolment with a first code; returns the recovery codes (shown once)."""
    factor = _factor(user.id)
    if factor is None:
        raise NotFound("Start TOTP enrolment first (POST /me/mfa/totp).")
    if factor.confirmed_at is not None:
        raise Conflict("TOTP is already enabled.")
    if not _accept_totp(factor, code):
        raise ValidationFailed(errors={"code": ["The code is not valid."]})
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    factor.recovery_code_hashes = [_hash_code(c) for c in codes]
    factor.confirmed_at = utcnow()
    events.emit("user.mfa_enabled", {"user_id": str(user.id)}, actor=f"user:{user.id}")
    db.session.commit()
    return codes


def verify(user, code: str) -> bool:
    """A TOTP or recovery code for a user with MFA on (caller commits the used step)."""
    factor = _factor(user.id)
    if factor is None or factor.confirmed_at is None:
        return False
    return _accept_totp(factor, code) or _accept_recovery(factor, code)


def disable(user, actor: str) -> None:
    """Remove the factor (after the caller checked a code or the password)."""
    factor = _factor(user.id)
    if factor is None:
        raise NotFound("TOTP is not enabled.")
    db.session.delete(factor)
    events.emit("user.mfa_disabled", {"user_id": str(user.id)}, actor=actor)
    db.session.commit()
