"""Device sessions and their refresh tokens; tenant-owned.

A device ``Session`` is a refresh-token family: every refresh rotates the
token inside the session, and presenting a spent token revokes the session.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, tenant_fk, utcnow


class Session(TenantScoped, Base):
    __tablename__ = "sessions"
    __table_args__ = (
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        tenant_fk("application_id", "applications", ondelete="CASCADE"),
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
    #: Set for a session an OAuth application opened (its refresh-token family), with
    #: the scope the user granted it; None for the tenant's own sign-ins.
    application_id: Mapped[uuid.UUID | None]
    scope: Mapped[str | None] = mapped_column(sa.String(1000))
    #: The organization the session chose (``POST /me/organization``); its tokens carry
    #: that organization's claims while the user is still a member. No foreign key: an
    #: id left behind by a deleted organization joins nothing, so it grants nothing, and
    #: deleting an organization need not find and rewrite every session that chose it.
    active_organization_id: Mapped[uuid.UUID | None]
    #: How the user signed in (RFC 8176 ``amr`` values: ``pwd``, ``fed``, ``otp``,
    #: ``mfa``), carried by every access token; empty for sessions opened before it was
    #: recorded.
    amr: Mapped[list[str]] = mapped_column(default=list, server_default="[]")

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
