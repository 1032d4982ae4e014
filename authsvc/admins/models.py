"""Admin accounts live outside any tenant; memberships say which tenants they run."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from authsvc.db import Base, Timestamps, new_id, utcnow

PLATFORM, TENANT, VIEWER = "platform", "tenant", "viewer"
ROLES = {PLATFORM: "Platform admin", TENANT: "Tenant admin", VIEWER: "Viewer (read-only)"}


class Admin(UserMixin, Timestamps, Base):
    """A person who signs in to the panel (``UserMixin`` makes it a Flask-Login user)."""

    __tablename__ = "admins"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(512))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    # TOTP seed, encrypted at rest (authsvc.secretbox): it must be readable to
    # check codes, so unlike a password it cannot be hashed. Never shown after enrolment.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(sa.String(200))
    # The last accepted TOTP time step: a code is accepted once (no replay).
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_login_at: Mapped[datetime | None]
    # Panel sessions live in signed cookies; each carries the epoch it started in, and
    # signing out bumps it, which ends every session of this admin in every browser.
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")
    # A "viewer": sees the pages of its tenants but every change it posts is refused.
    read_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    @property
    def has_totp(self) -> bool:
        return self.totp_secret_encrypted is not None

    @property
    def role(self) -> str:
        """``platform``, ``tenant`` (admin of its tenants) or ``viewer``."""
        if self.is_platform_admin:
            return PLATFORM
        return VIEWER if self.read_only else TENANT

    memberships: Mapped[list[AdminMembership]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class AdminMembership(Base):
    __tablename__ = "admin_memberships"

    admin_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("admins.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AdminLoginThrottle(Base):
    """Failed panel sign-ins of one email (database backend of :mod:`authsvc.admins.lockout`).

    Keyed by the normalised email whether or not an admin has it, so locks say
    nothing about which emails have accounts.
    """

    __tablename__ = "admin_login_throttles"

    subject: Mapped[str] = mapped_column(sa.String(300), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    lockouts: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    first_failure_at: Mapped[datetime | None]


class AdminToken(Base):
    """A single-use emailed link: an invitation to become an admin, or a password reset.

    Only the SHA-256 of the token is stored; a token is spent by stamping ``used_at``.
    An invitation names the tenant (none: platform) and role the new admin gets.
    """

    __tablename__ = "admin_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    purpose: Mapped[str] = mapped_column(sa.String(16))
    email: Mapped[str] = mapped_column(sa.String(254))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # Not ``tenant_id``: that name marks tenant-owned rows, and tokens, like admins, are
    # platform rows (a platform invitation has no tenant at all).
    invited_tenant_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(sa.String(16), default=TENANT)
    invited_by: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
