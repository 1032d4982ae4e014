"""Which tenant a hosted request is for: the ``/t/<slug>/`` prefix or one of its domains.

Only a *verified* custom domain routes (see :mod:`authsvc.tenants.domains`),
and the platform's own host (with its subdomains, unless they may be claimed)
never does, whatever rows exist: a claim on it, from before claims were
checked, cannot take the platform's pages away from the other tenants.
Finding the tenant of a host spans tenants, so it runs in ``platform_scope``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import g

from authsvc.errors import NotFound, ServiceUnavailable
from authsvc.extensions import db
from authsvc.security_headers import allow_framing_by
from authsvc.tenancy import bind_request_tenant, platform_scope
from authsvc.tenants.domains import is_platform_host, normalise
from authsvc.tenants.models import VERIFIED, Tenant, TenantDomain
from authsvc.tenants.urls import origins_of
from authsvc.themes.templating import activate_for_request


def tenant_for_slug(slug: str) -> Tenant:
    tenant = db.session.execute(
        sa.select(Tenant).where(Tenant.slug == slug, Tenant.is_active.is_(True))
    ).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"No tenant {slug!r}.")
    return tenant


def _refuse_inactive(slug: str) -> None:
    """A deactivated tenant's pages say the service is down, not that it never existed.

    Its users followed a real link; "No tenant" would read as a broken or forged one.
    """
    tenant = db.session.execute(sa.select(Tenant).where(Tenant.slug == slug)).scalar_one_or_none()
    if tenant is not None and not tenant.is_active:
        raise ServiceUnavailable(
            f"{tenant.name} is unavailable at the moment. Please try again later.",
            service_name=tenant.name,
        )


def _host_name(host: str) -> str | None:
    """The normalised host name of a Host header (port ignored), or None for none."""
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    try:
        return normalise(name)
    except ValueError:
        return None


def _owner(host: str) -> Tenant | None:
    """The active tenant that verified ``host`` as its domain, if any."""
    name = _host_name(host)
    if name is None or is_platform_host(name):
        return None
    with platform_scope():
        return db.session.execute(
            sa.select(Tenant)
            .join(TenantDomain, TenantDomain.tenant_id == Tenant.id)
            .where(
                TenantDomain.domain == name,
                TenantDomain.status == VERIFIED,
                Tenant.is_active.is_(True),
            )
        ).scalar_one_or_none()


def tenant_for_prefix(slug: str, host: str) -> Tenant:
    """The tenant of a ``/t/<slug>/`` page; on a tenant's own domain, only that tenant's.

    Otherwise ``login.acme.com/t/other/login`` would show another tenant's sign-in
    page under Acme's name in the address bar.
    """
    try:
        tenant = tenant_for_slug(slug)
    except NotFound:
        _refuse_inactive(slug)
        raise
    owner = _owner(host)
    if owner is not None and owner.id != tenant.id:
        raise NotFound(f"No tenant {slug!r}.")
    return tenant


def tenant_for_host(host: str) -> Tenant:
    """The active tenant that verified ``host`` as its domain, port ignored."""
    tenant = _owner(host)
    if tenant is None:
        raise NotFound("No tenant serves this host.")
    return tenant


def bind(tenant: Tenant) -> Tenant:
    """Make ``tenant`` the request's tenant: data scoping, theme and template overrides."""
    g.tenant = tenant
    activate_for_request(tenant.slug)
    # Hosted pages may be embedded by the tenant's own sites, and only by them.
    ancestors = (tenant.settings or {}).get("frame_ancestors") or []
    allow_framing_by(origins_of(ancestors, wildcard=True))
    bind_request_tenant(tenant.id)
    return tenant
