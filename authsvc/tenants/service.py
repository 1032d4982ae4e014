"""Tenant lifecycle: creation (with built-in roles), settings, deactivation.

Tenants are platform-level rows, so these functions run without a bound
tenant; work inside a new tenant (its roles) runs under ``tenant_context``.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa
from limits import parse as parse_rate_limit

from authsvc import events, signals
from authsvc.audit.changes import diff, snapshot
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.hosted.settings import check_hosted_settings
from authsvc.tenancy import tenant_context
from authsvc.tenants.domains import set_domains
from authsvc.tenants.models import Tenant
from authsvc.tenants.urls import check_url_settings
from authsvc.tokens import denylist
from authsvc.users.models import BUILTIN_ROLES, Role

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

DEFAULT_SETTINGS: dict[str, Any] = {
    "cors_origins": [],
    "rate_limit": None,
}

# Limits of the authentication policy values in ``settings["auth"]`` (see
# authsvc.auth.tenant_policy.AuthPolicy) that administrators edit.
AUTH_INT_RANGES = {
    "password_min_length": (8, 128),
    "access_token_ttl_seconds": (60, 24 * 3600),
    "refresh_token_ttl_seconds": (300, 365 * 24 * 3600),
    "invitation_ttl_seconds": (3600, 30 * 24 * 3600),
}
AUTH_FLAGS = ("require_mfa_for_admins", "allow_unverified_login", "invitation_any_email")


def get_tenant(tenant_id: uuid.UUID) -> Tenant:
    tenant = db.session.get(Tenant, tenant_id)
    if tenant is None:
        raise NotFound("No such tenant.")
    return tenant


def get_tenant_by_slug(slug: str) -> Tenant:
    tenant = db.session.execute(sa.select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"No tenant {slug!r}.")
    return tenant


def list_tenants() -> list[Tenant]:
    return list(db.session.execute(sa.select(Tenant).order_by(Tenant.slug)).scalars())


def check_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Validate tenant settings beyond their JSON schema; returns them unchanged."""
    errors: dict[str, list[str]] = {}
    check_url_settings(settings, errors)
    if settings.get("rate_limit"):
        try:
            parse_rate_limit(settings["rate_limit"])
        except ValueError:
            errors["settings.rate_limit"] = ["Use a limit such as '600/minute' or '20/second'."]
    check_hosted_settings(settings, errors)
    errors.update(_auth_errors(settings.get("auth") or {}))
    if errors:
        raise ValidationFailed(errors=errors)
    return settings


def _auth_errors(auth: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, (low, high) in AUTH_INT_RANGES.items():
        value = auth.get(name)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high
        ):
            errors[f"settings.auth.{name}"] = [f"Must be a whole number from {low} to {high}."]
    for name in AUTH_FLAGS:
        if not isinstance(auth.get(name, False), bool):
            errors[f"settings.auth.{name}"] = ["Must be true or false."]
    return errors


def create_tenant(
    slug: str, name: str, domains: list[str] | None = None, settings: dict | None = None
) -> Tenant:
    """Create a tenant with its built-in roles."""
    tenant = stage_tenant(slug, name, domains, settings)
    db.session.commit()
    return tenant


def stage_tenant(
    slug: str, name: str, domains: list[str] | None = None, settings: dict | None = None
) -> Tenant:
    """Add a tenant and its built-in roles to the session, for the caller to commit."""
    if not SLUG_PATTERN.match(slug or ""):
        raise ValidationFailed(
            errors={"slug": ["Use 1-63 lower-case letters, digits and hyphens."]}
        )
    if not name or len(name) > 200:
        raise ValidationFailed(errors={"name": ["Give a name of 1 to 200 characters."]})
    if db.session.execute(sa.select(Tenant.id).where(Tenant.slug == slug)).first():
        raise Conflict(f"A tenant with slug {slug!r} already exists.", errors={"slug": [slug]})
    tenant = Tenant(
        slug=slug, name=name, settings=check_settings({**DEFAULT_SETTINGS, **(settings or {})})
    )
    db.session.add(tenant)
    db.session.flush()
    try:
        set_domains(tenant, domains or [])
    except (Conflict, ValidationFailed):
        db.session.rollback()
        raise
    with tenant_context(tenant.id):
        for role_name, permissions in BUILTIN_ROLES.items():
            db.session.add(Role(name=role_name, permissions=permissions, is_builtin=True))
        db.session.flush()
    return tenant


def update_tenant(tenant: Tenant, data: dict[str, Any], actor: str | None = None) -> Tenant:
    """Apply a validated change of name, domains, active flag or settings (merged)."""
    audited = ("name", "is_active", "domains", "settings")
    before = snapshot(tenant, audited)
    if "name" in data:
        tenant.name = data["name"]
    if "is_active" in data:
        _set_active(tenant, data["is_active"])
    if "domains" in data:
        set_domains(tenant, data["domains"])
    if "settings" in data:
        merged = {**tenant.settings, **data["settings"]}
        if "auth" in data["settings"]:
            merged["auth"] = {**tenant.settings.get("auth", {}), **data["settings"]["auth"]}
        tenant.settings = check_settings(merged)
    with tenant_context(tenant.id):
        fields = diff(before, snapshot(tenant, audited))
        payload = {"tenant_id": str(tenant.id), "changed": sorted(data), "fields": fields}
        events.emit("tenant.updated", payload, actor)
        db.session.commit()
    signals.tenant_changed.send(None, tenant_id=tenant.id)
    return tenant


def deactivate_tenant(tenant: Tenant, actor: str | None = None) -> Tenant:
    """Deactivate a tenant: its tokens and API keys are refused from this commit on
    (everywhere with Redis; elsewhere within ``AUTH_DENYLIST_POLL_SECONDS`` without)."""
    return update_tenant(tenant, {"is_active": False}, actor=actor)


def _set_active(tenant: Tenant, active: bool) -> None:
    # The tenant's own denylist entry revokes everything it issued, with this change.
    tenant.is_active = active
    with tenant_context(tenant.id):
        if active:
            denylist.lift([tenant.id])
        else:
            denylist.deny([tenant.id], denylist.FOREVER)
