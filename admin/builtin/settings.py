"""Built-in Settings plugin: the current tenant's own settings, for its admins."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from admin.forms import TenantSettingsForm
from admin.views.common import flash_done
from admin.views.tenants import save_settings, settings_form
from authsvc.plugins import AdminPlugin

bp = Blueprint("plugin_settings", __name__)


@bp.route("/", methods=["GET", "POST"])
def index():
    tenant = g.admin_tenant
    form = settings_form(TenantSettingsForm, tenant)
    if form.validate_on_submit() and save_settings(form, tenant):
        flash_done("Settings saved.")
        return redirect(url_for("plugin_settings.index"))
    status = 422 if form.is_submitted() and (form.errors or form.form_errors) else 200
    return render_template("admin/builtin/settings.html", form=form, tenant=tenant), status


plugin = AdminPlugin(
    name="Settings",
    slug="settings",
    nav_label="Settings",
    icon="gear",
    blueprint=bp,
    builtin=True,
    enabled_by_default=True,
    description="Domains, CORS origins, password policy, MFA, token lifetimes, rate limit.",
)
