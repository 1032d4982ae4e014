"""The panel's navigation: core pages, enabled plugins, and the tenant switcher."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, g, redirect, request, session, url_for
from flask_login import current_user

from admin import bp, sessions
from admin.access import allowed_tenants, may_administer, permissions
from admin.forms import SwitchTenantForm
from authsvc.ids import parse_id
from authsvc.plugins import registry
from authsvc.plugins.service import enabled_slugs
from authsvc.themes.service import theme_css_url


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    icon: str
    platform_only: bool = False


CORE_NAV = (
    NavItem("Dashboard", "admin.dashboard", "speedometer2"),
    NavItem("Tenants", "admin.tenants", "buildings", platform_only=True),
    NavItem("Users", "admin.users", "people"),
    NavItem("Organizations", "admin.organizations", "diagram-3"),
    NavItem("Roles", "admin.roles_list", "person-badge"),
    NavItem("API keys", "admin.api_keys", "key"),
    NavItem("Applications", "admin.applications", "app-indicator"),
    NavItem("Webhooks", "admin.webhooks", "broadcast"),
    NavItem("Sign-in providers", "admin.sign_in_providers", "box-arrow-in-right"),
    NavItem("Theme", "admin.theme_editor", "palette"),
    NavItem("Plugins", "admin.plugins_page", "puzzle"),
    NavItem("Audit log", "admin.audit_log", "journal-text"),
    NavItem("Administrators", "admin.admins_page", "person-gear"),
)


def nav_items() -> list[dict[str, Any]]:
    """Menu entries the admin may use in the current tenant (the server checks again)."""
    items = [
        {"label": i.label, "url": url_for(i.endpoint), "icon": i.icon, "endpoint": i.endpoint}
        for i in CORE_NAV
        if not i.platform_only or current_user.is_platform_admin
    ]
    if g.get("admin_tenant") is None:
        return items
    enabled, allowed = enabled_slugs(), permissions()
    for plugin in registry:
        if plugin.slug in enabled and plugin.permission in allowed:
            endpoint = registry.index_endpoint(plugin.slug)
            items.append(
                {
                    "label": plugin.nav_label,
                    "url": url_for(endpoint),
                    "icon": plugin.icon,
                    "endpoint": endpoint,
                }
            )
    return items


def panel_context() -> dict[str, Any]:
    """Template variables of every panel page (nothing outside the panel)."""
    if "admin_tenant" not in g or not current_user.is_authenticated:
        return {}
    form = SwitchTenantForm()
    tenants = allowed_tenants()
    form.tenant.choices = [(str(t.id), f"{t.name} ({t.slug})") for t in tenants]
    if g.admin_tenant is not None:
        form.tenant.data = str(g.admin_tenant.id)
    return {
        "current_tenant": g.admin_tenant,
        "theme_css_url": theme_css_url(g.admin_tenant) if g.admin_tenant else None,
        "switch_form": form,
        "switchable": len(tenants) > 1,
        "nav": _mark_active(nav_items()),
        "active_endpoint": request.endpoint,
    }


def _mark_active(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mark the entry of the current page, or of the section a sub-page belongs to.

    The longest matching URL prefix wins, so ``/admin/users/<id>/sessions`` keeps
    "Users" highlighted; the dashboard (``/admin/``) matches only itself.
    """
    dashboard = url_for("admin.dashboard")
    best = None
    for item in items:
        exact = item["endpoint"] == request.endpoint
        url = item["url"].rstrip("/")
        inside = item["url"] != dashboard and request.path.startswith(url + "/")
        if exact or (inside and (best is None or len(item["url"]) > len(best["url"]))):
            best = item
            if exact:
                break
    return [{**item, "active": item is best} for item in items]


@bp.post("/switch")
def switch_tenant():
    """Make another tenant current; only one the admin may administer (else 404)."""
    form = SwitchTenantForm()
    form.tenant.choices = [(str(t.id), t.slug) for t in allowed_tenants()]
    tenant_id = parse_id(request.form.get("tenant", ""), "tenant")
    if not may_administer(tenant_id):
        abort(404)
    if form.validate_on_submit():
        session[sessions.TENANT] = str(tenant_id)
        flash("Switched tenant.", "info")
    return redirect(url_for("admin.dashboard"))
