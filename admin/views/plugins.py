"""The Plugins page: every registered plugin, enabled or disabled per tenant."""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, url_for
from flask_login import current_user

from admin import bp
from admin.access import permissions, require_tenant
from admin.forms import ActionForm
from admin.views.common import actor, flash_done
from authsvc.plugins import registry
from authsvc.plugins import service as plugins


def _visible(slug: str):
    """A plugin the admin may manage; others are 404 like any foreign object."""
    plugin = plugins.get_plugin(slug)
    if plugin.permission not in permissions():
        abort(404)
    return plugin


@bp.get("/plugins")
def plugins_page():
    require_tenant()
    allowed = permissions()
    return render_template(
        "admin/plugins/list.html",
        plugins=[p for p in registry if p.permission in allowed],
        enabled=plugins.enabled_slugs(),
        # Load errors name modules and exceptions: platform internals, not a tenant's business.
        failures=registry.failures if current_user.is_platform_admin else {},
        safe_mode=current_app.config["SAFE_MODE"],
    )


@bp.post("/plugins/<slug>/<any(enable, disable):change>")
def plugin_toggle(slug: str, change: str):
    require_tenant()
    plugin = _visible(slug)
    if ActionForm().validate_on_submit():
        plugins.set_enabled(plugin.slug, change == "enable", actor())
        flash_done(f"{plugin.name} {change}d for this tenant.")
    return redirect(url_for("admin.plugins_page"))


@bp.route("/plugins/<slug>/settings", methods=["GET", "POST"])
def plugin_settings(slug: str):
    """A plugin's own settings form; the values are stored for the current tenant."""
    require_tenant()
    plugin = _visible(slug)
    if plugin.settings_form is None:
        abort(404)
    form = plugin.settings_form(data=plugins.plugin_settings(plugin.slug))
    if form.validate_on_submit():
        data = {k: v for k, v in form.data.items() if k not in {"csrf_token", "submit"}}
        plugins.save_settings(plugin.slug, data)
        flash_done(f"Settings of {plugin.name} saved.")
        return redirect(url_for("admin.plugins_page"))
    status = 422 if form.errors else 200
    return render_template("admin/plugins/settings.html", form=form, plugin=plugin), status
