"""Which tenant a hosted request is for: the ``/t/<slug>/`` prefix or one of its domains."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g

from authsvc.errors import NotFound
from authsvc.extensions import db
from authsvc.security_headers import allow_framing_by
from authsvc.tenancy import bind_request_tenant
from authsvc.tenants.models import Tenant, TenantDomain
from authsvc.tenants.urls import origins_of
from authsvc.themes.templating import activate_for_request


def tenant_for_slug(slug: str) -> Tenant:
    tenant = db.session.execute(
        sa.select(Tenant).where(Tenant.slug == slug, Tenant.is_active.is_(True))
    ).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"No tenant {slug!r}.")
    return tenant


def _host_name(host: str) -> str:
    return host.rsplit(":", 1)[0].strip().lower().rstrip(".")


def tenant_for_prefix(slug: str, host: str) -> Tenant:
    """The tenant of a ``/t/<slug>/`` page; on a tenant's own domain, only that tenant's.

    Otherwise ``login.acme.com/t/other/login`` would show another tenant's sign-in
    page under Acme's name in the address bar.
    """
    tenant = tenant_for_slug(slug)
    owner = db.session.get(TenantDomain, _host_name(host))
    if owner is not None and owner.tenant_id != tenant.id:
        raise NotFound(f"No tenant {slug!r}.")
    return tenant


def tenant_for_host(host: str) -> Tenant:
    """The active tenant serving ``host`` (a ``tenant_domains`` row), port ignored."""
    name = _host_name(host)
    tenant = db.session.execute(
        sa.select(Tenant)
        .join(TenantDomain, TenantDomain.tenant_id == Tenant.id)
        .where(TenantDomain.domain == name, Tenant.is_active.is_(True))
    ).scalar_one_or_none()
    if tenant is None:
        raise NotFound("No tenant serves this host.")
    return tenant


def bind(tenant: Tenant) -> Tenant:
    """Make ``tenant`` the request's tenant: data scoping, theme and template overrides."""
    g.tenant = tenant
    activate_for_request(tenant.slug)
    # Hosted pages may be embedded by the tenant's own sites, and only by them.
    allow_framing_by(
        origins_of((tenant.settings or {}).get("frame_ancestors") or [], wildcard=True)
    )
    bind_request_tenant(tenant.id)
    return tenant
