"""Enabling, disabling and configuring admin plugins for the bound tenant.

Enabling and disabling are audited, in the transaction of the change.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authsvc.audit import service as audit
from authsvc.errors import NotFound
from authsvc.extensions import db
from authsvc.plugins import AdminPlugin, registry
from authsvc.plugins.models import TenantPlugin


def get_plugin(slug: str) -> AdminPlugin:
    plugin = registry.get(slug)
    if plugin is None:
        raise NotFound(f"No plugin {slug!r}.")
    return plugin


def _rows() -> dict[str, TenantPlugin]:
    rows = db.session.execute(sa.select(TenantPlugin)).scalars()
    return {row.slug: row for row in rows}


def enabled_slugs() -> set[str]:
    """Slugs of the plugins the bound tenant has enabled (or left at an enabled default)."""
    rows = _rows()
    return {
        plugin.slug
        for plugin in registry
        if (rows[plugin.slug].enabled if plugin.slug in rows else plugin.enabled_by_default)
    }


def is_enabled(slug: str) -> bool:
    return slug in enabled_slugs()


def _row(slug: str) -> TenantPlugin:
    row = db.session.get(TenantPlugin, _key(slug))
    if row is None:
        row = TenantPlugin(slug=slug, enabled=get_plugin(slug).enabled_by_default, settings={})
        db.session.add(row)
    return row


def _key(slug: str) -> dict[str, Any]:
    from authsvc.tenancy import current_tenant_id

    return {"tenant_id": current_tenant_id(), "slug": slug}


def set_enabled(slug: str, enabled: bool, actor: str | None = None) -> None:
    """Turn a plugin on or off for the bound tenant."""
    get_plugin(slug)
    was = is_enabled(slug)
    _row(slug).enabled = enabled
    fields = {"enabled": {"before": was, "after": enabled}}
    action = "plugin.enabled" if enabled else "plugin.disabled"
    audit.stage(action, actor, ("plugin", slug), {"fields": fields})
    db.session.commit()


def plugin_settings(slug: str) -> dict[str, Any]:
    """The bound tenant's stored settings of a plugin (empty when never saved)."""
    row = db.session.get(TenantPlugin, _key(slug))
    return dict(row.settings) if row else {}


def save_settings(slug: str, settings: dict[str, Any]) -> None:
    get_plugin(slug)
    _row(slug).settings = settings
    db.session.commit()
