"""Single-use tokens for email verification, password reset and email change (stored as
SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from authsvc.auth.models import OneTimeToken
from authsvc.db import utcnow
from authsvc.errors import ValidationFailed
from authsvc.extensions import db

VERIFY = "verify_email"
RESET = "password_reset"
CHANGE_EMAIL = "change_email"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(user, purpose: str, ttl_seconds: int, new_email: str | None = None) -> str:
    """Stage a new token for ``user`` (caller commits); returns the plaintext, sent by mail.

    ``new_email`` is the address an email-change token confirms.
    """
    raw = secrets.token_urlsafe(32)
    db.session.add(
        OneTimeToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_digest(raw),
            expires_at=utcnow() + timedelta(seconds=ttl_seconds),
            new_email=new_email,
        )
    )
    return raw


def consume(raw: str, purpose: str, field: str = "token") -> OneTimeToken:
    """Spend a token: unknown, used, expired or wrong-purpose tokens are one clear 422."""
    row = db.session.execute(
        sa.select(OneTimeToken).where(OneTimeToken.token_hash == _digest(raw or ""))
    ).scalar_one_or_none()
    if (
        row is None
        or row.purpose != purpose
        or row.used_at is not None
        or row.expires_at <= utcnow()
    ):
        raise ValidationFailed(
            "The link is invalid or has expired; request a new one.",
            errors={field: ["Invalid or expired token."]},
        )
    row.used_at = utcnow()
    return row


def void_all(user, purpose: str) -> None:
    """Invalidate every outstanding token of a purpose (e.g. after a reset)."""
    db.session.execute(
        sa.update(OneTimeToken)
        .where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
    )
