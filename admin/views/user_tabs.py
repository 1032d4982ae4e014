"""The user page's Metadata, Roles and Activity tabs.

Each tab is its own URL under ``/admin/users/<id>``; the user is looked up
through :mod:`authsvc.users.service` under the bound tenant, so another
tenant's user id is a 404 on every tab.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from admin import bp
from admin.forms import attach_errors
from admin.user_forms import MetadataForm, UserRolesForm
from admin.views.common import actor, flash_done
from authsvc.apikeys import service as apikeys
from authsvc.audit import service as audit
from authsvc.errors import ValidationFailed
from authsvc.organizations.active import my_organizations
from authsvc.users import roles, service
from authsvc.users.metadata import format_metadata, parse_metadata

ACTIVITY_PAGE = 25


@bp.route("/users/<user_id>/metadata", methods=["GET", "POST"])
def user_metadata(user_id: str):
    """Edit the user's metadata as JSON; bad JSON is a field error and nothing is saved."""
    user = service.get_user(user_id)
    form = MetadataForm()
    if not form.is_submitted():
        form.metadata.data = format_metadata(user.user_metadata)
    if form.validate_on_submit():
        try:
            value = parse_metadata(form.metadata.data or "")
            service.update_user(user, {"metadata": value}, actor=actor())
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            flash_done("Metadata saved.")
            return redirect(url_for("admin.user_metadata", user_id=user.id))
    status = 422 if form.is_submitted() else 200
    return render_template("admin/users/metadata.html", user=user, form=form), status


@bp.route("/users/<user_id>/roles", methods=["GET", "POST"])
def user_roles(user_id: str):
    """The user's roles (editable) and organization memberships (read-only here)."""
    user = service.get_user(user_id)
    known = roles.list_roles()
    form = UserRolesForm()
    form.roles.choices = [(role.name, role.name) for role in known]
    if not form.is_submitted():
        form.roles.data = user.roles
    if form.validate_on_submit():
        try:
            service.update_user(user, {"roles": form.roles.data or []}, actor=actor())
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            flash_done("Roles saved.")
            return redirect(url_for("admin.user_roles", user_id=user.id))
    return render_template(
        "admin/users/roles.html",
        user=user,
        form=form,
        roles={role.name: role for role in known},
        organizations=my_organizations(user.id),
    ), (422 if form.is_submitted() else 200)


@bp.get("/users/<user_id>/activity")
def user_activity(user_id: str):
    """The audit entries about this user, newest first, a page at a time."""
    user = service.get_user(user_id)
    cursor = request.args.get("cursor") or None
    page = audit.search({"target_type": "user", "target_id": str(user.id)}, cursor, ACTIVITY_PAGE)
    more = page.next_cursor and url_for(
        "admin.user_activity", user_id=user.id, cursor=page.next_cursor
    )
    return render_template(
        "admin/users/activity.html",
        user=user,
        entries=page.items,
        more=more,
        paged=bool(cursor),
        key_names=_key_names(page.items),
    )


def _key_names(entries) -> dict[str, str]:
    """Names of the API keys that acted in ``entries`` (revoked ones too), by prefix."""
    if not any(entry.actor_type == "api_key" for entry in entries):
        return {}
    # The audit trail names a key by its public prefix (``apikey:<prefix>``).
    return {key.prefix: key.name for key in apikeys.list_api_keys(include_revoked=True)}
