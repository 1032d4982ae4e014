"""Theme operations for hosted pages, emails and the admin panel's theme editor.

Every function takes the tenant explicitly and runs under that tenant through
:func:`authsvc.tenancy.tenant_context`, so the editor (whose current tenant
may differ from the request's credential) and background jobs use one code path.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app

from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from authsvc.themes.models import ASSET_KINDS, DEFAULTS, Theme, ThemeAsset


def get_theme(tenant) -> Theme:
    """The tenant's stored theme, or an unsaved one carrying the defaults."""
    with tenant_context(tenant.id):
        theme = db.session.execute(sa.select(Theme)).scalar_one_or_none()
    if theme is None:
        theme = Theme(tenant_id=tenant.id, version=0, custom_css=None, **DEFAULTS)
    return theme


def asset_versions(tenant) -> dict[str, str]:
    """kind -> content hash of the tenant's uploaded assets (not their bytes)."""
    with tenant_context(tenant.id):
        rows = db.session.execute(sa.select(ThemeAsset.kind, ThemeAsset.sha256)).all()
    return {kind: sha for kind, sha in rows}


def _base(external: bool) -> str:
    return current_app.config["BASE_URL"].rstrip("/") if external else ""


def theme_css_url(tenant, external: bool = False) -> str:
    """URL of the tenant's theme stylesheet (CSS custom properties), versioned for caching."""
    return f"{_base(external)}/t/{tenant.slug}/theme.css?v={get_theme(tenant).version}"


def resolve_theme(tenant, external: bool = False) -> dict[str, Any]:
    """Template variables for a tenant's look: colours, font, stylesheet and asset URLs.

    ``external=True`` gives absolute URLs (for emails).
    """
    theme = get_theme(tenant)
    base = _base(external)
    prefix = f"{base}/t/{tenant.slug}"
    versions = asset_versions(tenant)
    values: dict[str, Any] = {name: getattr(theme, name) for name in DEFAULTS}
    values.update(
        tenant_name=tenant.name,
        slug=tenant.slug,
        version=theme.version,
        css_url=f"{prefix}/theme.css?v={theme.version}",
        custom_css_url=f"{prefix}/custom.css?v={theme.version}" if theme.custom_css else None,
    )
    for kind in ASSET_KINDS:
        sha = versions.get(kind)
        values[f"{kind}_url"] = f"{prefix}/assets/{kind}?v={sha[:12]}" if sha else None
    return values
