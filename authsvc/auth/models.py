"""Tables behind end-user authentication; all tenant-owned.

A device ``Session`` is a refresh-token family: every refresh rotates the
token inside the session, and presenting a spent token revokes the session.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, Timestamps, tenant_fk, utcnow


class Session(TenantScoped, Base):
    __tablename__ = "sessions"
    __table_args__ = (
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        sa.Index("ix_sessions_user", "tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID]
    device_id: Mapped[str] = mapped_column(sa.String(64))
    device_name: Mapped[str | None] = mapped_column(sa.String(200))
    device_type: Mapped[str | None] = mapped_column(sa.String(32))
    browser: Mapped[str | None] = mapped_column(sa.String(100))
    os: Mapped[str | None] = mapped_column(sa.String(100))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(64))

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > utcnow()


class RefreshToken(TenantScoped, Base):
    """One opaque refresh token (stored as SHA-256); rotated on every use."""

    __tablename__ = "refresh_tokens"
    __table_args__ = (
        tenant_fk("session_id", "sessions", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "token_hash"),
    )

    session_id: Mapped[uuid.UUID]
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class OneTimeToken(TenantScoped, Base):
    """Email-verification and password-reset tokens, single use, stored as SHA-256."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "token_hash"),
        sa.Index("ix_one_time_tokens_user", "tenant_id", "user_id", "purpose"),
    )

    user_id: Mapped[uuid.UUID]
    purpose: Mapped[str] = mapped_column(sa.String(32))
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RevokedToken(TenantScoped, Base):
    """Denylist entries (access-token ``jti`` or session ``sid``) when Redis is not configured."""

    __tablename__ = "revoked_tokens"
    __table_args__ = (
        sa.Index("ix_revoked_tokens_expires_at", "expires_at"),
        sa.Index("ix_revoked_tokens_created_at", "created_at"),
    )

    # id is the jti/sid itself, so the hot-path check is a primary-key lookup.
    expires_at: Mapped[datetime]
    # Processes copy the denylist and fetch what was added since (denymirror.py).
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=sa.func.current_timestamp()
    )


class LoginThrottle(TenantScoped, Timestamps, Base):
    """Failed-login counter for one account or one end-user IP (database backend)."""

    __tablename__ = "login_throttles"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "subject"),)

    subject: Mapped[str] = mapped_column(sa.String(300))
    failures: Mapped[int] = mapped_column(default=0)
    lockouts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    first_failure_at: Mapped[datetime | None]


class MfaFactor(TenantScoped, Timestamps, Base):
    """A user's TOTP factor: secret encrypted at rest, recovery codes hashed."""

    __tablename__ = "mfa_factors"
    __table_args__ = (
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "user_id"),
    )

    user_id: Mapped[uuid.UUID]
    secret_encrypted: Mapped[str] = mapped_column(sa.String(512))
    confirmed_at: Mapped[datetime | None]
    last_used_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    recovery_code_hashes: Mapped[list[str]] = mapped_column(default=list)


class SigningKey(TenantScoped, Base):
    """A tenant's JWT signing key; the private half is encrypted at rest."""

    __tablename__ = "signing_keys"
    # kid is looked up before the tenant is known: indexed alone, unique with the
    # tenant (64 random bits make collisions across tenants practically impossible).
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "kid"),
        sa.Index("ix_signing_keys_kid", "kid"),
    )

    kid: Mapped[str] = mapped_column(sa.String(64))
    alg: Mapped[str] = mapped_column(sa.String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(default=dict)
    private_key_encrypted: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Set when a newer key takes over; the public key stays published until then.
    retired_at: Mapped[datetime | None]
    publish_until: Mapped[datetime | None]
