"""Tenants (platform admins only): list, create, edit settings, deactivate.

Tenant admins get 404 for these URLs; they edit their own tenant's settings
through the built-in Settings plugin, which shares the form below, and may
verify their current tenant's custom domains with the button it shows.
"""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user

from admin import bp, sessions
from admin.access import require_platform_admin
from admin.forms import TenantCreateForm, TenantSettingsForm, attach_errors, lines
from admin.views.common import actor, confirm_then, flash_done
from authsvc.auth.tenant_policy import policy_from_settings
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.ids import parse_id
from authsvc.tenants import domains, service
from authsvc.tenants.models import Tenant
from authsvc.tenants.service import DEFAULT_SETTINGS

#: Fields of the form stored in ``settings["auth"]``, the tenant's authentication policy.
AUTH_FIELDS = (
    "password_min_length",
    "require_mfa_for_admins",
    "allow_unverified_login",
    "registration_conflict",
    "access_token_ttl_seconds",
    "refresh_token_ttl_seconds",
)


def settings_form(form_class: type[TenantSettingsForm], tenant: Tenant | None):
    """A settings form filled from ``tenant`` (or the defaults) unless input was posted."""
    form = form_class()
    if not form.is_submitted():
        settings = {**DEFAULT_SETTINGS, **(tenant.settings if tenant else {})}
        policy = policy_from_settings(settings)
        form.name.data = tenant.name if tenant else ""
        form.domains.data = "\n".join(tenant.domains) if tenant else ""
        form.cors_origins.data = "\n".join(settings.get("cors_origins") or [])
        form.rate_limit.data = settings.get("rate_limit") or ""
        for name in AUTH_FIELDS:
            getattr(form, name).data = getattr(policy, name)
    return form


def form_settings(form: TenantSettingsForm, tenant: Tenant | None) -> dict[str, Any]:
    """Settings from the form; policy values merge into the tenant's other auth settings."""
    auth = dict((tenant.settings if tenant else {}).get("auth") or {})
    for name in AUTH_FIELDS:
        value = getattr(form, name).data
        if value is not None:
            auth[name] = value
    return {
        "cors_origins": lines(form.cors_origins.data),
        "rate_limit": (form.rate_limit.data or "").strip() or None,
        "auth": auth,
    }


def save_settings(form: TenantSettingsForm, tenant: Tenant) -> bool:
    """Apply the form through the tenant service; False (errors on the form) if refused."""
    data = {
        "name": form.name.data.strip(),
        "domains": lines(form.domains.data),
        "settings": form_settings(form, tenant),
    }
    try:
        service.update_tenant(tenant, data, actor=actor())
    except (Conflict, ValidationFailed) as error:
        attach_errors(form, error)
        return False
    return True


def _code(form) -> int:
    return 422 if form.is_submitted() and (form.errors or form.form_errors) else 200


@bp.get("/tenants")
def tenants():
    require_platform_admin()
    return render_template("admin/tenants/list.html", tenants=service.list_tenants())


@bp.route("/tenants/new", methods=["GET", "POST"])
def tenant_new():
    require_platform_admin()
    form = settings_form(TenantCreateForm, None)
    if form.validate_on_submit():
        try:
            tenant = service.create_tenant(
                form.slug.data.strip(),
                form.name.data.strip(),
                lines(form.domains.data),
                form_settings(form, None),
            )
        except (Conflict, ValidationFailed) as error:
            attach_errors(form, error)
        else:
            session[sessions.TENANT] = str(tenant.id)
            flash_done(f"Tenant {tenant.slug} created; it is now the current tenant.")
            return redirect(url_for("admin.tenant_edit", tenant_id=tenant.id))
    return render_template("admin/tenants/form.html", form=form, tenant=None), _code(form)


@bp.route("/tenants/<tenant_id>", methods=["GET", "POST"])
def tenant_edit(tenant_id: str):
    require_platform_admin()
    tenant = _get(tenant_id)
    form = settings_form(TenantSettingsForm, tenant)
    if form.validate_on_submit() and save_settings(form, tenant):
        flash_done("Tenant saved.")
        return redirect(url_for("admin.tenant_edit", tenant_id=tenant.id))
    return render_template("admin/tenants/form.html", form=form, tenant=tenant), _code(form)


def _get(tenant_id: str) -> Tenant:
    return service.get_tenant(parse_id(tenant_id, "tenant"))


@bp.app_template_global()
def tenant_domain_states(tenant: Tenant) -> list[domains.DomainState]:
    """The tenant's custom domains with their state, for the settings pages."""
    return domains.domain_states(tenant)


@bp.post("/tenants/<tenant_id>/domains/<domain>/verify")
def tenant_domain_verify(tenant_id: str, domain: str):
    """Check a pending domain's DNS record or HTTP token (platform admins, or the
    admins of the current tenant)."""
    wanted = parse_id(tenant_id, "tenant")
    own = g.admin_tenant is not None and g.admin_tenant.id == wanted
    if not (current_user.is_platform_admin or own):
        raise NotFound("The requested page does not exist.")
    # The panel's CSRFProtect has checked the form's token before this view runs.
    tenant = service.get_tenant(wanted)
    try:
        domains.verify_domain(tenant, domain, actor=actor())
    except (Conflict, ValidationFailed) as error:
        found = [m for messages in (error.extra.get("errors") or {}).values() for m in messages]
        flash(" ".join([error.detail, *found]), "danger")
    else:
        flash_done(f"{domain} is verified: it now serves the hosted pages.")
    if not current_user.is_platform_admin or request.form.get("back") == "plugin_settings.index":
        return redirect(url_for("plugin_settings.index"))
    return redirect(url_for("admin.tenant_edit", tenant_id=tenant.id))


@bp.route("/tenants/<tenant_id>/<any(deactivate, activate):change>", methods=["GET", "POST"])
def tenant_active(tenant_id: str, change: str):
    require_platform_admin()
    tenant = _get(tenant_id)
    active = change == "activate"

    def apply() -> str:
        service.update_tenant(tenant, {"is_active": active}, actor=actor())
        flash_done(f"Tenant {tenant.slug} {'activated' if active else 'deactivated'}.")
        return url_for("admin.tenant_edit", tenant_id=tenant.id)

    message = (
        "Its API keys and tokens are refused at once with Redis, within "
        "AUTHSVC_AUTH_DENYLIST_POLL_SECONDS without it, and its hosted pages go offline."
        if not active
        else "Its API keys and hosted pages work again."
    )
    return confirm_then(
        f"{change.title()} {tenant.name}?",
        message,
        change.title(),
        url_for("admin.tenant_edit", tenant_id=tenant.id),
        apply,
    )
