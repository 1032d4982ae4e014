"""An organization's members and invitations in the panel, through the API's services."""

from __future__ import annotations

from flask import redirect, render_template, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import ConfirmForm, InvitationForm, MemberForm, MemberRolesForm, attach_errors
from admin.views.common import actor, confirm_then, flash_done, status_of
from authsvc.errors import Conflict, ValidationFailed
from authsvc.organizations import invitations, members, service
from authsvc.users import roles
from authsvc.users.service import find_user_by_email


def _role_choices(form) -> None:
    form.roles.choices = [(role.name, role.name) for role in roles.list_roles()]


def _back(org) -> str:
    return url_for("admin.organization_detail", org_id=org.id)


def _page(form, org, title: str):
    page = render_template("admin/organizations/form.html", form=form, org=org, title=title)
    return page, status_of(form)


@bp.route("/organizations/<org_id>/members/new", methods=["GET", "POST"])
def organization_member_new(org_id: str):
    require_tenant()
    org = service.get_organization(org_id)
    form = MemberForm()
    _role_choices(form)
    if not form.is_submitted():
        form.roles.data = list(members.DEFAULT_ROLES)
    if form.validate_on_submit():
        user = find_user_by_email(form.email.data)
        if user is None:
            form.email.errors = [*form.email.errors, "No user of this tenant has this email."]
            return _page(form, org, f"Add a member to {org.name}")
        try:
            members.add_member(org, {"user_id": str(user.id), "roles": form.roles.data}, actor())
        except (Conflict, ValidationFailed) as error:
            attach_errors(form, error)
        else:
            flash_done(f"{user.email} is now a member of {org.name}.")
            return redirect(_back(org))
    return _page(form, org, f"Add a member to {org.name}")


@bp.route("/organizations/<org_id>/members/<user_id>", methods=["GET", "POST"])
def organization_member_roles(org_id: str, user_id: str):
    require_tenant()
    org = service.get_organization(org_id)
    membership = members.get_membership(org, user_id)
    form = MemberRolesForm()
    _role_choices(form)
    if not form.is_submitted():
        form.roles.data = membership.roles
    if form.validate_on_submit():
        try:
            members.update_member(membership, {"roles": form.roles.data}, actor())
        except (Conflict, ValidationFailed) as error:
            attach_errors(form, error)
        else:
            flash_done("The member's roles were saved.")
            return redirect(_back(org))
    email = members.emails_of([membership]).get(membership.user_id, user_id)
    return _page(form, org, f"Roles of {email} in {org.name}")


@bp.route("/organizations/<org_id>/members/<user_id>/remove", methods=["GET", "POST"])
def organization_member_remove(org_id: str, user_id: str):
    """Confirm, then remove; removing the last owner is refused on the confirmation page."""
    require_tenant()
    org = service.get_organization(org_id)
    membership = members.get_membership(org, user_id)
    email = members.emails_of([membership]).get(membership.user_id, user_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            members.remove_member(membership, actor())
        except Conflict as error:
            # The confirmation has no roles field: the reason and the way out, as one error.
            hints = [m for found in (error.extra.get("errors") or {}).values() for m in found]
            form.form_errors.append(" ".join([error.detail, *hints]))
        else:
            flash_done(f"{email} was removed from {org.name}.")
            return redirect(_back(org))
    page = render_template(
        "admin/confirm.html",
        form=form,
        title=f"Remove {email} from {org.name}?",
        message="They lose the roles they hold in this organization and its token claims.",
        button="Remove member",
        cancel_url=_back(org),
    )
    status = 409 if form.form_errors else 400 if form.is_submitted() else 200
    return page, status


@bp.route("/organizations/<org_id>/invitations/new", methods=["GET", "POST"])
def organization_invitation_new(org_id: str):
    require_tenant()
    org = service.get_organization(org_id)
    form = InvitationForm()
    _role_choices(form)
    if not form.is_submitted():
        form.roles.data = list(members.DEFAULT_ROLES)
    if form.validate_on_submit():
        data = {"email": form.email.data, "roles": form.roles.data}
        try:
            invitation = invitations.create_invitation(org, data, actor())
        except (Conflict, ValidationFailed) as error:
            attach_errors(form, error)
        else:
            flash_done(f"An invitation to {org.name} was sent to {invitation.email}.")
            return redirect(_back(org))
    return _page(form, org, f"Invite someone to {org.name}")


@bp.route("/organizations/<org_id>/invitations/<invitation_id>/revoke", methods=["GET", "POST"])
def organization_invitation_revoke(org_id: str, invitation_id: str):
    require_tenant()
    org = service.get_organization(org_id)
    invitation = invitations.get_invitation(org, invitation_id)

    def revoke() -> str:
        invitations.revoke_invitation(invitation, actor())
        flash_done(f"The invitation of {invitation.email} was revoked.")
        return _back(org)

    return confirm_then(
        f"Revoke the invitation of {invitation.email}?",
        "Its link stops working; you can invite the address again.",
        "Revoke invitation",
        _back(org),
        revoke,
    )
