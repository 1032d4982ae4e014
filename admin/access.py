"""Who may see what in the panel: sign-in, timeouts, MFA, and the current tenant.

Every panel request passes :func:`guard` before its view runs. It binds the
admin's current tenant with :func:`authsvc.tenancy.bind_request_tenant`, so
every query a view makes is scoped to that tenant; an object of another tenant
is then simply not found (404), whether reached by URL or by a form post.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from flask import flash, g, redirect, request, session, url_for
from flask_login import current_user

from admin import bp, sessions
from authsvc.auth.tenant_policy import policy_for
from authsvc.errors import NotFound, PermissionDenied
from authsvc.extensions import db
from authsvc.plugins import AdminPlugin, registry
from authsvc.plugins.service import is_enabled
from authsvc.tenancy import bind_request_tenant
from authsvc.tenants.models import Tenant

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
#: Panel endpoints reachable before sign-in is complete.
OPEN_ENDPOINTS = {
    "admin.login",
    "admin.login_mfa",
    "admin.accept_invitation",
    "admin.reset_password",
}
#: What a read-only viewer may still post: its own sign-out, tenant switch, TOTP step
#: and own account (its credentials are its own, not the tenant's data).
VIEWER_POSTS = {"admin.logout", "admin.switch_tenant", "admin.mfa"}


def allowed_tenants() -> list[Tenant]:
    """Tenants the signed-in admin may administer: all for platform admins."""
    statement = sa.select(Tenant).order_by(Tenant.slug)
    if not current_user.is_platform_admin:
        ids = [membership.tenant_id for membership in current_user.memberships]
        statement = statement.where(Tenant.id.in_(ids))
    return list(db.session.execute(statement).scalars())


def may_administer(tenant_id: uuid.UUID) -> bool:
    if current_user.is_platform_admin:
        return db.session.get(Tenant, tenant_id) is not None
    return any(m.tenant_id == tenant_id for m in current_user.memberships)


def _current_tenant() -> Tenant | None:
    chosen = session.get(sessions.TENANT)
    if chosen:
        tenant_id = uuid.UUID(chosen)
        if may_administer(tenant_id):
            return db.session.get(Tenant, tenant_id)
    tenants = allowed_tenants()
    # Until the admin picks one, prefer a tenant that does not demand TOTP, so a
    # platform admin is not stopped by whichever tenant happens to sort first.
    relaxed = [tenant for tenant in tenants if not mfa_required(tenant)]
    return (relaxed or tenants or [None])[0]


def permissions() -> set[str]:
    if current_user.is_platform_admin:
        return {"tenant:admin", "platform:admin"}
    return {"tenant:admin"}


def require_platform_admin() -> None:
    """Platform-only pages do not exist for tenant admins."""
    if not current_user.is_platform_admin:
        raise NotFound("The requested page does not exist.")


def require_tenant() -> Tenant:
    """The current tenant; pages about tenant data cannot work without one."""
    if g.admin_tenant is None:
        raise NotFound("Create a tenant first.")
    return g.admin_tenant


def mfa_required(tenant: Tenant | None) -> bool:
    """Whether the tenant's policy requires TOTP of its administrators."""
    return bool(tenant and policy_for(tenant).require_mfa_for_admins)


def guard():
    """Run before every panel view: sign-in, timeouts, tenant binding, MFA."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    reason = sessions.expired()
    if reason:
        sessions.end()
        flash(reason, "warning")
        return redirect(url_for("admin.login"))
    sessions.touch()
    g.admin_tenant = _current_tenant()
    if g.admin_tenant is not None:
        bind_request_tenant(g.admin_tenant.id)
    if (
        # Switching away is allowed: a platform admin need not pass TOTP for a tenant
        # they do not want to work in.
        request.endpoint not in {"admin.mfa", "admin.logout", "admin.switch_tenant"}
        and (current_user.has_totp or mfa_required(g.admin_tenant))
        and not session.get(sessions.MFA_OK)
    ):
        return redirect(url_for("admin.mfa"))
    refuse_viewer_changes()
    return None


def refuse_viewer_changes() -> None:
    """A viewer sees every page of its tenants; each change it posts is refused (403)."""
    own = (request.endpoint or "").startswith("admin.my_account")
    changing = request.method not in SAFE_METHODS and request.endpoint not in VIEWER_POSTS
    if current_user.read_only and changing and not own:
        raise PermissionDenied("Your role is read-only: you can look, but not change.")


bp.before_request(guard)


def guard_plugin() -> None:
    """Before a plugin's own routes: the admin guard, then permission and tenant switch."""
    plugin: AdminPlugin | None = registry.for_blueprint(request.blueprint)
    if plugin is None:
        return None
    response = guard()
    if response is not None:
        return response
    if plugin.permission not in permissions() or g.admin_tenant is None:
        raise NotFound("The requested page does not exist.")
    if not is_enabled(plugin.slug):
        raise NotFound("This plugin is not enabled for the current tenant.")
    return None
