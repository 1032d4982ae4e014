"""Roles and permissions of the current tenant."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import RoleForm, attach_errors, lines
from admin.views.common import actor, confirm_then, flash_done
from authsvc.errors import Conflict, ValidationFailed
from authsvc.users import roles


@bp.get("/roles")
def roles_list():
    require_tenant()
    return render_template(
        "admin/roles/list.html", roles=roles.list_roles(), counts=roles.member_counts()
    )


def _save(form: RoleForm, role=None):
    data = {
        "name": form.name.data,
        "description": form.description.data,
        "permissions": lines(form.permissions.data),
    }
    try:
        if role is None:
            roles.create_role(data, actor=actor())
        else:
            roles.update_role(role, data, actor=actor())
    except (Conflict, ValidationFailed) as error:
        attach_errors(form, error)
        return None
    flash_done(f"Role {data['name']} saved.")
    return redirect(url_for("admin.roles_list"))


@bp.route("/roles/new", methods=["GET", "POST"])
def role_new():
    require_tenant()
    form = RoleForm()
    if form.validate_on_submit() and (done := _save(form)):
        return done
    return render_template("admin/roles/form.html", form=form, role=None), _code(form)


@bp.route("/roles/<role_id>", methods=["GET", "POST"])
def role_edit(role_id: str):
    role = roles.get_role(role_id)
    form = RoleForm(obj=role)
    if not form.is_submitted():
        form.permissions.data = "\n".join(role.permissions)
    if form.validate_on_submit() and (done := _save(form, role)):
        return done
    return render_template("admin/roles/form.html", form=form, role=role), _code(form)


def _code(form) -> int:
    return 422 if form.is_submitted() and (form.errors or form.form_errors) else 200


@bp.route("/roles/<role_id>/delete", methods=["GET", "POST"])
def role_delete(role_id: str):
    role = roles.get_role(role_id)
    if role.is_builtin:
        flash("Built-in roles cannot be deleted.", "warning")
        return redirect(url_for("admin.roles_list"))

    def delete() -> str:
        name = role.name
        roles.delete_role(role, actor=actor())
        flash_done(f"Role {name} deleted.")
        return url_for("admin.roles_list")

    return confirm_then(
        f"Delete the role {role.name}?",
        "Users who have this role lose it and the permissions it grants.",
        "Delete role",
        url_for("admin.roles_list"),
        delete,
    )
