"""Per-tenant authentication policy, read from tenant settings with defaults.

Sign-in, refresh, token checks and API-key authentication need the tenant's
slug, state and policy on every call: :func:`tenant_auth_of` keeps them in the
``tenants`` cache (:mod:`authsvc.cache`, ``CACHE_TTL_SECONDS``). A change
(``signals.tenant_changed``) invalidates the entry here at once and, with
Redis, in every process; without Redis, other processes see it within the TTL.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa
from flask import current_app

from authsvc import cache, signals
from authsvc.cache import caches
from authsvc.errors import AuthenticationFailed
from authsvc.extensions import db
from authsvc.tenancy import current_tenant_id
from authsvc.tenants.models import Tenant

CACHE = "tenants"
REGISTRATION_CONFLICT_CHOICES = ("409", "email_owner")


@dataclass(frozen=True)
class AuthPolicy:
    password_min_length: int = 8
    password_max_length: int = 128
    allow_unverified_login: bool = True
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    token_alg: str = "ES256"  # noqa: S105 - an algorithm name, not a secret
    token_audience: str | None = None  # default: the tenant slug
    max_sessions_per_user: int | None = None
    lockout_threshold: int = 10
    lockout_base_seconds: int = 60
    lockout_max_seconds: int = 900
    lockout_reset_seconds: int = 12 * 3600
    reset_token_ttl_seconds: int = 3600
    verify_token_ttl_seconds: int = 48 * 3600
    require_mfa_for_admins: bool = False
    # Signing up with an address that has an account: "409" says so (Conflict);
    # "email_owner" answers 202 as for any sign-up and mails the address's owner.
    registration_conflict: str = "409"
    # Organization invitations: their lifetime, and whether a signed-in user whose
    # address differs from the invited one may accept (off: the invitee only).
    invitation_ttl_seconds: int = 7 * 24 * 3600
    invitation_any_email: bool = False

    @classmethod
    def names(cls) -> set[str]:
        return {f.name for f in fields(cls)}


def policy_from_settings(settings: dict[str, Any] | None) -> AuthPolicy:
    """The tenant's policy: its ``settings["auth"]`` over the platform defaults."""
    overrides = (settings or {}).get("auth") or {}
    known = {k: v for k, v in overrides.items() if k in AuthPolicy.names()}
    return AuthPolicy(**known)


def policy_for(tenant: Tenant) -> AuthPolicy:
    return policy_from_settings(tenant.settings)


@dataclass(frozen=True)
class TenantAuth:
    """What authentication needs to know about a tenant."""

    id: uuid.UUID
    slug: str
    name: str
    policy: AuthPolicy
    active: bool = True
    # Per-tenant API limits and browser origins, applied per API key.
    rate_limit: str | None = None
    cors_origins: tuple[str, ...] = ()


def tenant_auth() -> TenantAuth:
    """The bound tenant's slug, name and policy (cached; see the module docstring)."""
    found = tenant_auth_of(current_tenant_id())
    if found is None:
        raise AuthenticationFailed("No tenant bound to this request.")
    return found


def tenant_auth_of(tenant_id: uuid.UUID | None) -> TenantAuth | None:
    """Tenant ``tenant_id``'s facts (cached), or None when there is no such tenant."""
    if tenant_id is None:
        return None
    return caches[CACHE].get_or_load(tenant_id, lambda: _load(tenant_id))


def _load(tenant_id: uuid.UUID) -> TenantAuth | None:
    # Tenants are platform-level rows, not tenant-owned: no scope applies.
    row = db.session.execute(
        sa.select(Tenant.slug, Tenant.name, Tenant.settings, Tenant.is_active).where(
            Tenant.id == tenant_id
        )
    ).first()
    if row is None:
        return None
    settings = row.settings or {}
    return TenantAuth(
        tenant_id,
        row.slug,
        row.name,
        policy_from_settings(settings),
        active=row.is_active,
        rate_limit=settings.get("rate_limit"),
        cors_origins=tuple(settings.get("cors_origins") or ()),
    )


def _forget_tenant(_sender, tenant_id: uuid.UUID) -> None:
    caches.invalidate(CACHE, tenant_id)


def init_app(app) -> None:
    cache.register(app, CACHE, "CACHE_TTL_SECONDS", maxsize=10_000)
    signals.tenant_changed.connect(_forget_tenant)


def audience(tenant_slug: str, policy: AuthPolicy) -> str:
    return policy.token_audience or tenant_slug


def issuer(tenant_slug: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/t/{tenant_slug}"


def policy_model():
    """The restx model documenting and validating ``settings.auth`` (all fields optional)."""
    from flask_restx import Model, fields

    def count(low: int, high: int, example: int, text: str):
        return fields.Integer(min=low, max=high, example=example, description=text)

    return Model(
        "AuthPolicy",
        {
            "password_min_length": count(8, 128, 8, "Shortest password accepted"),
            "password_max_length": count(64, 1024, 128, "Longest password accepted"),
            "allow_unverified_login": fields.Boolean(example=True),
            "access_token_ttl_seconds": count(60, 86400, 900, "Access-token lifetime"),
            "refresh_token_ttl_seconds": count(300, 31536000, 2592000, "Session lifetime"),
            "token_alg": fields.String(enum=["ES256", "RS256"], example="ES256"),
            "token_audience": fields.String(max_length=200, example="acme-web"),
            "max_sessions_per_user": count(1, 1000, 10, "Cap on concurrent sessions"),
            "lockout_threshold": count(3, 1000, 10, "Failed sign-ins before a lockout"),
            "lockout_base_seconds": count(1, 3600, 60, "First lockout; doubles each time"),
            "lockout_max_seconds": count(1, 86400, 900, "Longest lockout"),
            "lockout_reset_seconds": count(60, 604800, 43200, "Counters reset after"),
            "reset_token_ttl_seconds": count(300, 86400, 3600, "Password-reset link lifetime"),
            "verify_token_ttl_seconds": count(3600, 604800, 172800, "Verification link lifetime"),
            "require_mfa_for_admins": fields.Boolean(example=False),
            "invitation_ttl_seconds": count(3600, 2592000, 604800, "Invitation lifetime"),
            "invitation_any_email": fields.Boolean(
                example=False, description="Accept invitations sent to another address"
            ),
            "registration_conflict": fields.String(
                enum=list(REGISTRATION_CONFLICT_CHOICES),
                example="409",
                description="Sign-up with a taken address: `409` Conflict, or `email_owner`: "
                "202 as for any sign-up, and a mail to the address's owner",
            ),
        },
        strict=True,
    )
