"""Per-tenant authentication policy, read from tenant settings with defaults.

Sign-in, refresh and logout need the tenant's slug and policy on every call;
:func:`tenant_auth` keeps them per process for ``TENANT_CACHE_SECONDS``, the
same bound the API-key cache gives tenant changes. A change made in this
process (``signals.tenant_changed``) is seen here at once.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa
from flask import current_app

from authsvc import signals
from authsvc.errors import AuthenticationFailed
from authsvc.extensions import db
from authsvc.tenancy import current_tenant_id
from authsvc.tenants.models import Tenant

TENANT_CACHE_SECONDS = 10
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
    """What the authentication flows need to know about the bound tenant."""

    id: uuid.UUID
    slug: str
    name: str
    policy: AuthPolicy


class TenantAuthCache:
    """Tenant id -> (monotonic time loaded, TenantAuth), per process."""

    def __init__(self) -> None:
        self.entries: dict[uuid.UUID, tuple[float, TenantAuth]] = {}
        self.lock = threading.Lock()


def tenant_auth() -> TenantAuth:
    """The bound tenant's slug, name and policy (cached; see the module docstring)."""
    tenant_id = current_tenant_id()
    cache: TenantAuthCache = current_app.extensions["authsvc.auth.tenants"]
    hit = cache.entries.get(tenant_id)
    now = time.monotonic()
    if hit is not None and now - hit[0] < TENANT_CACHE_SECONDS:
        return hit[1]
    # Core on the tenants table (not tenant-owned): one indexed row, no ORM object.
    table = Tenant.__table__
    row = db.session.execute(
        sa.select(table.c.slug, table.c.name, table.c.settings).where(table.c.id == tenant_id)
    ).first()
    if row is None:
        raise AuthenticationFailed("No tenant bound to this request.")
    found = TenantAuth(tenant_id, row.slug, row.name, policy_from_settings(row.settings))
    with cache.lock:
        if len(cache.entries) >= 10_000:
            cache.entries.pop(next(iter(cache.entries)))
        cache.entries[tenant_id] = (now, found)
    return found


def _forget_tenant(_sender, tenant_id: uuid.UUID) -> None:
    cache = current_app.extensions.get("authsvc.auth.tenants")
    if cache is not None:
        cache.entries.pop(tenant_id, None)


def init_app(app) -> None:
    app.extensions["authsvc.auth.tenants"] = TenantAuthCache()
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
            "registration_conflict": fields.String(
                enum=list(REGISTRATION_CONFLICT_CHOICES),
                example="409",
                description="Sign-up with a taken address: `409` Conflict, or `email_owner`: "
                "202 as for any sign-up, and a mail to the address's owner",
            ),
        },
        strict=True,
    )
