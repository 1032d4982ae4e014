"""The Administrators page: list, invite, change role, reset password, remove.

Which administrators an admin sees and may change is decided by
:mod:`authsvc.admins.management` (platform admins: all; others: their current
tenant's); any other id is simply not found. Viewers see the page, and the
panel's guard refuses every change they post.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_login import current_user

from admin import bp
from admin.admin_forms import AdminRoleForm, InviteForm
from admin.forms import ActionForm, attach_errors
from admin.views.common import actor, confirm_then, flash_done
from authsvc.admins import management, tokens
from authsvc.admins.lockout import locked_for
from authsvc.admins.models import ROLES, Admin
from authsvc.errors import AuthsvcError


def _tenant_id():
    tenant = g.get("admin_tenant")
    return tenant.id if tenant is not None else None


def _find(admin_id: str) -> Admin:
    return management.find_visible(current_user, _tenant_id(), admin_id)


def _list_page(form: InviteForm, status: int = 200):
    admins = management.visible_admins(current_user, _tenant_id())
    rows = [{"admin": a, "locked": locked_for(a.email) > 0} for a in admins]
    if not current_user.is_platform_admin:
        form.role.choices = [c for c in form.role.choices if c.value != "platform"]
    invitations = tokens.pending_invitations(current_user, _tenant_id())
    page = render_template(
        "admin/admins/list.html", rows=rows, form=form, roles=ROLES, invitations=invitations
    )
    return page, status


@bp.get("/admins")
def admins_page():
    return _list_page(InviteForm(role="tenant"))


@bp.post("/admins/invite")
def admin_invite():
    """Mail an invitation; every field error shows at once on the same page."""
    form = InviteForm()
    if form.validate_on_submit():
        tenant = g.get("admin_tenant")
        if tenant is None:
            form.form_errors.append("Create a tenant first: invitations are sent in its name.")
            return _list_page(form, 422)
        try:
            tokens.invite(current_user, form.email.data, form.role.data, tenant, actor())
        except AuthsvcError as error:
            attach_errors(form, error)
            return _list_page(form, 422)
        flash_done(f"Invitation sent to {form.email.data}.")
        return redirect(url_for("admin.admins_page"))
    return _list_page(form, 422 if form.is_submitted() else 200)


def _detail_page(admin: Admin, form: AdminRoleForm, status: int = 200):
    if not current_user.is_platform_admin:
        form.role.choices = [c for c in form.role.choices if c.value != "platform"]
    manageable = True
    try:
        management.check_manageable(current_user, admin, _tenant_id())
    except AuthsvcError as error:
        manageable, form.form_errors = False, [error.detail]
    page = render_template(
        "admin/admins/detail.html",
        admin=admin,
        form=form,
        action_form=ActionForm(),
        manageable=manageable,
        locked=locked_for(admin.email) > 0,
        roles=ROLES,
    )
    return page, status


@bp.get("/admins/<admin_id>")
def admin_detail(admin_id: str):
    admin = _find(admin_id)
    return _detail_page(admin, AdminRoleForm(role=admin.role))


@bp.post("/admins/<admin_id>/role")
def admin_role(admin_id: str):
    admin = _find(admin_id)
    form = AdminRoleForm()
    if form.validate_on_submit():
        try:
            management.change_role(current_user, admin, form.role.data, _tenant_id(), actor())
        except AuthsvcError as error:
            attach_errors(form, error)
            return _detail_page(admin, form, error.status)
        flash_done(f"{admin.email} is now {ROLES[admin.role]}.")
        return redirect(url_for("admin.admin_detail", admin_id=admin.id))
    return _detail_page(admin, form, 400)


@bp.post("/admins/<admin_id>/reset")
def admin_reset(admin_id: str):
    """Mail the admin a single-use link to choose a new password."""
    admin = _find(admin_id)
    tenant = g.get("admin_tenant")
    if not ActionForm().validate_on_submit() or tenant is None:
        flash("The reset mail was not sent: reload the page and try again.", "danger")
        return redirect(url_for("admin.admin_detail", admin_id=admin.id))
    tokens.send_reset(current_user, admin, tenant, actor())
    flash_done(f"A password reset link was sent to {admin.email}.")
    return redirect(url_for("admin.admin_detail", admin_id=admin.id))


@bp.route("/admins/<admin_id>/remove", methods=["GET", "POST"])
def admin_remove(admin_id: str):
    admin = _find(admin_id)
    management.check_manageable(current_user, admin, _tenant_id())
    whole = current_user.is_platform_admin or admin.is_platform_admin

    def act() -> str:
        management.remove(current_user, admin, _tenant_id(), actor())
        flash_done(f"{admin.email} is no longer an administrator{'' if whole else ' here'}.")
        return url_for("admin.admins_page")

    scope = "their account is deleted" if whole else "they lose access to this tenant"
    return confirm_then(
        f"Remove {admin.email}?",
        f"{admin.email} can no longer sign in to manage it: {scope}.",
        "Remove administrator",
        url_for("admin.admin_detail", admin_id=admin.id),
        act,
    )


@bp.route("/admins/invitations/<token_id>/revoke", methods=["GET", "POST"])
def admin_invitation_revoke(token_id: str):
    """Stop a pending invitation's link from working, after a confirmation."""
    token = tokens.find_invitation(current_user, _tenant_id(), token_id)

    def act() -> str:
        tokens.revoke_invitation(token, actor())
        flash_done(f"The invitation to {token.email} is revoked.")
        return url_for("admin.admins_page")

    return confirm_then(
        f"Revoke the invitation to {token.email}?",
        "The link in the invitation mail stops working.",
        "Revoke invitation",
        url_for("admin.admins_page"),
        act,
    )
