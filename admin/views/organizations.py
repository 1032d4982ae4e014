"""Organizations of the current tenant: the list, one organization, creating, editing, deleting."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import OrganizationForm, attach_errors, lines
from admin.views.common import actor, confirm_then, flash_done, status_of
from authsvc.errors import Conflict, ValidationFailed
from authsvc.organizations import invitations, members, service

PAGE = 50


@bp.get("/organizations")
def organizations():
    require_tenant()
    cursor = request.args.get("cursor") or None
    filters = {"q": request.args.get("q") or None}
    page = service.list_organizations(filters, cursor, PAGE)
    next_url = (
        url_for(
            "admin.organizations",
            cursor=page.next_cursor,
            **{k: v for k, v in filters.items() if v},
        )
        if page.next_cursor
        else None
    )
    return render_template(
        "admin/organizations/list.html", page=page, next_url=next_url, q=filters["q"] or ""
    )


@bp.get("/organizations/<org_id>")
def organization_detail(org_id: str):
    require_tenant()
    org = service.get_organization(org_id)
    member_page = members.list_members(org, {}, request.args.get("cursor") or None, PAGE)
    invited = invitations.list_invitations(org, None, None, PAGE)
    return render_template(
        "admin/organizations/detail.html",
        org=org,
        members=member_page.items,
        emails=members.emails_of(member_page.items),
        next_cursor=member_page.next_cursor,
        invitations=[(i, invitations.state_of(i)) for i in invited.items],
    )


def _save(form: OrganizationForm, org=None):
    """The organization through the API's service, or None with the errors on ``form``."""
    data = {"name": form.name.data, "slug": form.slug.data, "domains": lines(form.domains.data)}
    try:
        if org is None:
            org = service.create_organization(data, actor=actor())
        else:
            org = service.update_organization(org, data, actor=actor())
    except (Conflict, ValidationFailed) as error:
        attach_errors(form, error)
        return None
    flash_done(f"Organization {org.name} saved.")
    return redirect(url_for("admin.organization_detail", org_id=org.id))


def _form_page(form: OrganizationForm, org=None):
    title = f"Edit {org.name}" if org else "New organization"
    page = render_template("admin/organizations/form.html", form=form, org=org, title=title)
    return page, status_of(form)


@bp.route("/organizations/new", methods=["GET", "POST"])
def organization_new():
    require_tenant()
    form = OrganizationForm()
    if form.validate_on_submit() and (done := _save(form)):
        return done
    return _form_page(form)


@bp.route("/organizations/<org_id>/edit", methods=["GET", "POST"])
def organization_edit(org_id: str):
    require_tenant()
    org = service.get_organization(org_id)
    form = OrganizationForm(obj=org)
    if not form.is_submitted():
        form.domains.data = "\n".join(org.domains)
    if form.validate_on_submit() and (done := _save(form, org)):
        return done
    return _form_page(form, org)


@bp.route("/organizations/<org_id>/delete", methods=["GET", "POST"])
def organization_delete(org_id: str):
    require_tenant()
    org = service.get_organization(org_id)

    def delete() -> str:
        name = org.name
        service.delete_organization(org, actor=actor())
        flash_done(f"Organization {name} deleted.")
        return url_for("admin.organizations")

    return confirm_then(
        f"Delete the organization {org.name}?",
        "Its memberships and invitations are deleted with it; tokens stop carrying it.",
        "Delete organization",
        url_for("admin.organization_detail", org_id=org.id),
        delete,
    )
