"""Token tables: per-tenant signing keys and the denylist of revoked tokens; tenant-owned."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, utcnow


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


class RevokedToken(TenantScoped, Base):
    """Denylist entries: a session, access token, API key or tenant id (see denylist.py)."""

    __tablename__ = "revoked_tokens"
    __table_args__ = (
        sa.Index("ix_revoked_tokens_expires_at", "expires_at"),
        sa.Index("ix_revoked_tokens_created_at", "created_at"),
    )

    # id is the jti/sid itself, so the hot-path check is a primary-key lookup.
    expires_at: Mapped[datetime]
    # When the entry was made (not read by the checks; for inspection).
    created_at: Mapped[datetime] = mapped_column(
        default=utcnow, server_default=sa.func.current_timestamp()
    )
