"""Hosted pages: sign-in, sign-up, password reset, email verification, MFA, sign-out.

The same blueprint serves ``/t/<slug>/...`` on the platform host and, for a
tenant with its own domains (``tenant_domains``), ``/...`` on those hosts. The
tenant is bound from the prefix or the Host header before any view runs.
Pages are themed per tenant, work without JavaScript, and use the end-user
flows of :mod:`authsvc.auth.service`, like the REST API.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, request, url_for

from authsvc.hosted.redirects import redirect_origins
from authsvc.hosted.resolve import bind, tenant_for_host, tenant_for_prefix
from authsvc.security_headers import allow_form_targets
from authsvc.themes.service import resolve_theme

bp = Blueprint("hosted", __name__, url_prefix="/t/<slug>")
DOMAIN_NAME = "hosted_domain"


@bp.url_value_preprocessor
def _bind_tenant(_endpoint, values) -> None:
    slug = (values or {}).pop("slug", None)
    if slug is not None:
        tenant = tenant_for_prefix(slug, request.host)
    else:
        tenant = tenant_for_host(request.host)
    bind(tenant)
    # A sign-in form ends in a redirect to the tenant's app; CSP form-action must allow it.
    allow_form_targets(redirect_origins(tenant))


@bp.url_defaults
def _add_slug(endpoint, values) -> None:
    if endpoint.startswith("hosted.") and "slug" not in values and "tenant" in g:
        values["slug"] = g.tenant.slug


def page_url(page: str, **values) -> str:
    """URL of another hosted page, on the prefix or domain this request came by."""
    name = DOMAIN_NAME if request.blueprint == DOMAIN_NAME else "hosted"
    return url_for(f"{name}.{page}", **values)


@bp.app_template_global()
def input_attrs(field, **attrs) -> dict:
    """HTML attributes of a form input: the given ones that are set, and error wiring."""
    if field.errors:
        attrs["aria-invalid"] = "true"
        attrs["aria-describedby"] = f"{field.id}-error"
    return {name: value for name, value in attrs.items() if value not in (None, False)}


@bp.context_processor
def _page_context() -> dict:
    if "tenant" not in g:
        return {}  # an error page for an unknown tenant or host
    return {
        "tenant": g.tenant,
        "theme": resolve_theme(g.tenant),
        "page_url": page_url,
    }


def init_app(app: Flask) -> None:
    from authsvc.federation import views as _federation  # noqa: F401 - sign-in with providers
    from authsvc.hosted import account, account_links, views  # noqa: F401 - page routes on bp
    from authsvc.organizations import views as _invitations  # noqa: F401 - invitation page
    from authsvc.provider import views as _provider  # noqa: F401 - the /oauth2 endpoints

    app.register_blueprint(bp)
    app.register_blueprint(bp, name=DOMAIN_NAME, url_prefix="")
