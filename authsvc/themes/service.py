"""Theme operations for hosted pages, emails and the admin panel's theme editor.

Every function takes the tenant explicitly and runs under that tenant through
:func:`authsvc.tenancy.tenant_context`, so the editor (whose current tenant
may differ from the request's credential) and background jobs use one code path.
Each change emits ``tenant.updated`` (audited) with the changed fields before and
after; custom CSS and uploaded files appear as digests of their content.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, BinaryIO
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from authsvc import events
from authsvc.audit.changes import diff, digest
from authsvc.errors import ValidationFailed
from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from authsvc.themes.assets import AssetRefused, check_upload
from authsvc.themes.contrast import MINIMUM as MINIMUM_CONTRAST
from authsvc.themes.contrast import contrast_ratio, readable_on
from authsvc.themes.css import CssRefused, sanitize_custom_css
from authsvc.themes.models import ASSET_KINDS, COLOR_FIELDS, DEFAULTS, Theme, ThemeAsset

HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
# A comma-separated list of family names: quoted, or plain words (generic families, and
# vendor names with a leading hyphen such as -apple-system, which the default stack uses).
_FAMILY = r"""(?:"[A-Za-z0-9 _-]{1,60}"|'[A-Za-z0-9 _-]{1,60}'|-?[A-Za-z][A-Za-z0-9 _-]{0,59})"""
FONT_STACK = re.compile(rf"^{_FAMILY}(?:\s*,\s*{_FAMILY}){{0,9}}$")


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
        on_primary_color=readable_on(theme.primary_color),
    )
    for kind in ASSET_KINDS:
        sha = versions.get(kind)
        values[f"{kind}_url"] = f"{prefix}/assets/{kind}?v={sha[:12]}" if sha else None
    return values


def _stored_theme() -> Theme:
    theme = db.session.execute(sa.select(Theme)).scalar_one_or_none()
    if theme is None:
        theme = Theme(version=0, **DEFAULTS)
        db.session.add(theme)
    return theme


def check_theme(data: dict[str, Any], stored: Theme | None = None) -> dict[str, Any]:
    """Every field checked in one pass, then the text's contrast on the background
    (fields not in ``data`` taken from ``stored``, the theme being changed)."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name in COLOR_FIELDS:
            color = normalize_color(value)
            if color is None:
                errors[name] = ["Give a hex colour such as #1a2b3c."]
            clean[name] = color
        elif name == "font_stack":
            if not isinstance(value, str) or not FONT_STACK.match(value.strip()):
                errors[name] = ['Give font names separated by commas, e.g. "Inter", sans-serif.']
            clean[name] = value.strip() if isinstance(value, str) else value
        elif name == "custom_css":
            clean[name] = _check_custom_css(value, errors)
        else:
            errors[name] = ["Unknown theme field."]
    _check_contrast(clean, stored or Theme(), errors)
    if errors:
        raise ValidationFailed("The theme has invalid fields.", errors=errors)
    return clean


def _check_contrast(clean: dict[str, Any], stored: Theme, errors: dict[str, list[str]]) -> None:
    text = clean.get("text_color", stored.text_color)
    background = clean.get("background_color", stored.background_color)
    if not text or not background or {"text_color", "background_color"} & errors.keys():
        return
    ratio = contrast_ratio(text, background)
    if ratio < MINIMUM_CONTRAST:
        field = "text_color" if "text_color" in clean else "background_color"
        errors[field] = [
            f"Text on the background has a contrast of {ratio:.2f}:1; "
            f"choose colours with at least {MINIMUM_CONTRAST}:1 so everyone can read it."
        ]


def _check_custom_css(value: Any, errors: dict[str, list[str]]) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    limit = current_app.config["THEMES_CUSTOM_CSS_MAX_BYTES"]
    if not isinstance(value, str) or len(value.encode()) > limit:
        errors["custom_css"] = [f"Give CSS text of at most {limit // 1024} KiB."]
        return None
    own_host = urlsplit(current_app.config["BASE_URL"]).netloc
    try:
        return sanitize_custom_css(value, own_host)
    except CssRefused as exc:
        errors["custom_css"] = exc.messages
        return None


def normalize_color(value: Any) -> str | None:
    """``#rrggbb`` in lower case from ``#rgb`` or ``#rrggbb``; None if not a hex colour."""
    if not isinstance(value, str) or not HEX_COLOR.match(value.strip()):
        return None
    digits = value.strip()[1:].lower()
    return "#" + ("".join(ch * 2 for ch in digits) if len(digits) == 3 else digits)


def _audited(theme: Theme, names) -> dict[str, Any]:
    """The theme's values as the audit log shows them (custom CSS as a digest)."""
    values = {name: getattr(theme, name) for name in names}
    if "custom_css" in values:
        values["custom_css"] = digest(values["custom_css"])
    return values


def _commit_change(
    tenant, theme: Theme, changed: list[str], actor: str | None, fields: dict[str, Any]
) -> Theme:
    """Bump the version and emit ``tenant.updated`` with ``fields`` (before/after), then commit."""
    theme.version = (theme.version or 0) + 1
    events.emit(
        "tenant.updated",
        {
            "tenant_id": str(tenant.id),
            "changed": [f"theme.{name}" for name in sorted(changed)],
            "fields": fields,
        },
        actor,
    )
    db.session.commit()
    # Load it again while this tenant is bound: after the commit the object is expired,
    # and a caller bound to another tenant (or none) could not refresh it.
    db.session.refresh(theme)
    return theme


def update_theme(tenant, data: dict[str, Any], actor: str | None = None) -> Theme:
    """Change colours, font stack or custom CSS; raises ValidationFailed (``errors`` by field)."""
    clean = check_theme(dict(data), get_theme(tenant))
    with tenant_context(tenant.id):
        theme = _stored_theme()
        before = _audited(theme, clean)
        for name, value in clean.items():
            setattr(theme, name, value)
        fields = diff({"theme": before}, {"theme": _audited(theme, clean)})
        return _commit_change(tenant, theme, list(clean), actor, fields)


def reset_theme(tenant, actor: str | None = None) -> Theme:
    """Back to the platform defaults: colours, font, no custom CSS, no logo or favicon."""
    with tenant_context(tenant.id):
        theme = _stored_theme()
        names = [*DEFAULTS, "custom_css"]
        before = {**_audited(theme, names), **_asset_digests()}
        for name, value in DEFAULTS.items():
            setattr(theme, name, value)
        theme.custom_css = None
        db.session.execute(sa.delete(ThemeAsset))
        fields = diff({"theme": before}, {"theme": _audited(theme, names)})
        return _commit_change(tenant, theme, ["reset"], actor, fields)


def _asset_digests() -> dict[str, str]:
    """kind -> digest of the bound tenant's uploaded assets."""
    rows = db.session.execute(sa.select(ThemeAsset.kind, ThemeAsset.sha256)).all()
    return {kind: f"sha256:{sha[:16]}" for kind, sha in rows}


def save_asset(
    tenant, kind: str, filename: str, stream: BinaryIO, actor: str | None = None
) -> Theme:
    """Store an uploaded logo or favicon (PNG, SVG or ICO); raises ValidationFailed."""
    if kind not in ASSET_KINDS:
        raise ValidationFailed(errors={"kind": [f"Use one of {', '.join(ASSET_KINDS)}."]})
    limit = current_app.config["THEMES_ASSET_MAX_BYTES"]
    try:
        content_type, data = check_upload(filename or "", stream.read(limit + 1), limit)
    except AssetRefused as exc:
        raise ValidationFailed("The file was refused.", errors={kind: [str(exc)]}) from exc
    with tenant_context(tenant.id):
        asset = db.session.execute(
            sa.select(ThemeAsset).where(ThemeAsset.kind == kind)
        ).scalar_one_or_none() or ThemeAsset(kind=kind)
        before = {kind: f"sha256:{asset.sha256[:16]}" if asset.sha256 else None}
        asset.content_type, asset.data = content_type, data
        asset.sha256 = hashlib.sha256(data).hexdigest()
        db.session.add(asset)
        fields = diff({"theme": before}, {"theme": {kind: digest(data)}})
        return _commit_change(tenant, _stored_theme(), [kind], actor, fields)


def get_asset(tenant, kind: str) -> ThemeAsset | None:
    with tenant_context(tenant.id):
        return db.session.execute(
            sa.select(ThemeAsset).where(ThemeAsset.kind == kind)
        ).scalar_one_or_none()
