"""Tables behind end-user authentication flows: one-time tokens, sign-in throttles, MFA factors."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, Timestamps, tenant_fk, utcnow


class OneTimeToken(TenantScoped, Base):
    """Email-verification, password-reset and email-change tokens, single use, stored as SHA-256."""

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
    #: An email change's new address, which the token's link confirms.
    new_email: Mapped[str | None] = mapped_column(sa.String(254))


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
