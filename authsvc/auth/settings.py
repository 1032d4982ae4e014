"""Per-tenant authentication policy, read from tenant settings with defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from flask import current_app

from authsvc.tenants.models import Tenant


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


def audience(tenant_slug: str, policy: AuthPolicy) -> str:
    return policy.token_audience or tenant_slug


def issuer(tenant_slug: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/t/{tenant_slug}"
