"""Applications (OAuth clients), their authorization codes and users' consents; tenant-owned."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, Timestamps, tenant_fk, utcnow

CONFIDENTIAL = "confidential"
PUBLIC = "public"
CLIENT_TYPES = (CONFIDENTIAL, PUBLIC)
GRANT_TYPES = ("authorization_code", "refresh_token", "client_credentials")
#: The scopes an application may be allowed; ``openid`` asks for an ID token and
#: ``offline_access`` for a refresh token.
SCOPES = ("openid", "profile", "email", "offline_access")


class Application(TenantScoped, Timestamps, Base):
    """An OAuth client of the tenant; only the SHA-256 of a confidential client's secret
    is stored (the secret is 256 random bits, so a slow hash would add nothing)."""

    __tablename__ = "applications"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "client_id"),)

    name: Mapped[str] = mapped_column(sa.String(100))
    client_id: Mapped[str] = mapped_column(sa.String(64))
    client_type: Mapped[str] = mapped_column(sa.String(16))
    client_secret_hash: Mapped[str | None] = mapped_column(sa.String(64))
    redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(default=list)
    grant_types: Mapped[list[str]] = mapped_column(default=lambda: ["authorization_code"])
    scopes: Mapped[list[str]] = mapped_column(default=lambda: ["openid", "profile", "email"])
    #: The tenant's own app: its users are not asked for consent.
    first_party: Mapped[bool] = mapped_column(default=False)
    #: Token lifetimes; None means the tenant's policy.
    access_token_ttl_seconds: Mapped[int | None]
    refresh_token_ttl_seconds: Mapped[int | None]


class AuthorizationCode(TenantScoped, Base):
    """One authorization code (stored as SHA-256). A spent code stays until it expires,
    so that a replay finds it and revokes the session it opened (RFC 6749, 4.1.2)."""

    __tablename__ = "authorization_codes"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "code_hash"),
        tenant_fk("application_id", "applications", ondelete="CASCADE"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
    )

    code_hash: Mapped[str] = mapped_column(sa.String(64))
    application_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    redirect_uri: Mapped[str | None] = mapped_column(sa.String(2048))
    scope: Mapped[str] = mapped_column(sa.String(1000))
    nonce: Mapped[str | None] = mapped_column(sa.String(512))
    code_challenge: Mapped[str | None] = mapped_column(sa.String(128))
    code_challenge_method: Mapped[str | None] = mapped_column(sa.String(16))
    auth_time: Mapped[datetime]
    amr: Mapped[list[str]] = mapped_column(default=list)
    #: The authentication context class the ID token states (only when the request
    #: named ``acr_values``).
    acr: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    #: The session the code's exchange opened (revoked when the code is replayed).
    session_id: Mapped[uuid.UUID | None]


class Consent(TenantScoped, Timestamps, Base):
    """A user's remembered "yes" to an application for some scopes (a grant)."""

    __tablename__ = "consents"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "user_id", "application_id"),
        tenant_fk("application_id", "applications", ondelete="CASCADE"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
    )

    user_id: Mapped[uuid.UUID]
    application_id: Mapped[uuid.UUID]
    scopes: Mapped[list[str]] = mapped_column(default=list)
