"""A tenant's identity providers and the links between its users and their provider accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantOwned, TenantScoped, Timestamps, tenant_fk, utcnow

#: ``oidc`` is any OpenID Provider by issuer; ``microsoft`` and ``google`` are presets of it;
#: ``github`` is plain OAuth 2.0 plus GitHub's REST API.
KINDS = ("oidc", "microsoft", "google", "github")


class IdentityProvider(TenantScoped, Timestamps, Base):
    __tablename__ = "identity_providers"

    kind: Mapped[str] = mapped_column(sa.String(16))
    display_name: Mapped[str] = mapped_column(sa.String(100))
    icon_url: Mapped[str | None] = mapped_column(sa.String(2048))
    #: The OpenID issuer (discovery at ``<issuer>/.well-known/openid-configuration``);
    #: for ``github`` the web host.
    issuer: Mapped[str | None] = mapped_column(sa.String(2048))
    client_id: Mapped[str] = mapped_column(sa.String(255))
    # Needed in the clear to call the token endpoint, so sealed rather than hashed.
    client_secret_sealed: Mapped[str | None] = mapped_column(sa.String(1024))
    scopes: Mapped[list[str]] = mapped_column(default=lambda: ["openid", "email", "profile"])
    enabled: Mapped[bool] = mapped_column(default=True)
    #: Link to an existing account with the same, provider-verified email.
    link_by_email: Mapped[bool] = mapped_column(default=False)
    #: Skip authsvc's TOTP step when the ID token's ``amr`` says the provider did MFA.
    trust_upstream_mfa: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class UserIdentity(TenantScoped, Timestamps, Base):
    """A user's account at a provider, named by the provider's stable ``subject``."""

    __tablename__ = "user_identities"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "provider_id", "subject"),
        tenant_fk("provider_id", "identity_providers", ondelete="CASCADE"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        sa.Index("ix_user_identities_user", "tenant_id", "user_id"),
    )

    provider_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    subject: Mapped[str] = mapped_column(sa.String(255))
    email: Mapped[str | None] = mapped_column(sa.String(254))


class SignInCode(TenantScoped, Base):
    """A one-time code that ends a federated sign-in on a tenant app (``return_to``).

    Stored as SHA-256, single use, short-lived; ``POST /auth/exchange`` with the
    tenant's key turns it into tokens. ``session_id`` names the session it opened,
    so a replayed code can revoke that session.
    """

    __tablename__ = "sign_in_codes"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "code_hash"),
        tenant_fk("provider_id", "identity_providers", ondelete="CASCADE"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
    )

    provider_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    session_id: Mapped[uuid.UUID | None]
    #: S256 PKCE challenge of a public (browser) app; the exchange must bring its verifier.
    code_challenge: Mapped[str | None] = mapped_column(sa.String(64))
    #: How the user signed in (``fed`` plus the provider's MFA methods), for the tokens.
    amr: Mapped[list[str]] = mapped_column(default=list, server_default="[]")


class ProviderStatus(TenantOwned, Base):
    """Whether a provider answered lately: kept apart from the provider's row, whose
    change would re-register its authlib client and expire sign-ins under way."""

    __tablename__ = "federation_provider_status"
    __table_args__ = (tenant_fk("provider_id", "identity_providers", ondelete="CASCADE"),)

    provider_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: When the discovery document was last fetched from the provider (not the cache).
    discovery_fetched_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_failure_at: Mapped[datetime | None]
    #: What failed, in words without secrets (no URLs' queries, no tokens).
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    consecutive_failures: Mapped[int] = mapped_column(default=0)
