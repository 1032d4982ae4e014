"""Organizations of the current tenant: the list, and one organization's members and invitations."""

from __future__ import annotations

from flask import render_template, request, url_for

from admin import bp
from admin.access import require_tenant
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
