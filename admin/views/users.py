"""A user of the current tenant: create, edit (the Profile tab), flags, delete.

Every lookup goes through :mod:`authsvc.users.service` under the bound tenant,
so another tenant's user id is a 404 here too.
"""

from __future__ import annotations

from typing import Any

from flask import redirect, render_template, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import ActionForm, UserForm, attach_errors
from admin.views.common import actor, confirm_then, flash_done
from admin.views.user_security import security_summary
from authsvc.errors import Conflict, ValidationFailed
from authsvc.users import roles, service


def _form(user=None) -> UserForm:
    form = UserForm(obj=user)
    form.roles.choices = [(role.name, role.name) for role in roles.list_roles()]
    if user is not None and not form.is_submitted():
        form.roles.data = user.roles
    return form


def _data(form: UserForm, creating: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": form.email.data.strip(),
        "username": form.username.data or None,
        "display_name": form.display_name.data or None,
        "is_verified": form.is_verified.data,
        "is_active": form.is_active.data,
        "roles": form.roles.data or ([] if not creating else ["member"]),
    }
    if form.password.data:
        data["password"] = form.password.data
    return data


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():
    require_tenant()
    form = _form()
    if not form.is_submitted():
        form.is_active.data = True
        form.roles.data = ["member"]
    if form.validate_on_submit():
        try:
            user = service.create_user(_data(form, creating=True), actor=actor())
        except (Conflict, ValidationFailed) as error:
            attach_errors(form, error)
        else:
            flash_done(f"User {user.email} created.")
            return _to(user)
    return render_template("admin/users/form.html", form=form, user=None), _status(form)


def _to(user):
    return redirect(url_for("admin.user_edit", user_id=user.id))


def _status(form) -> int:
    return 422 if form.is_submitted() and (form.errors or form.form_errors) else 200


@bp.route("/users/<user_id>", methods=["GET", "POST"])
def user_edit(user_id: str):
    """A user's details and the form to change them."""
    user = service.get_user(user_id)
    form = _form(user)
    if form.validate_on_submit():
        data = _data(form, creating=False)
        # Passwords change through the user's own reset flow, not by an admin typing one.
        data.pop("password", None)
        try:
            service.update_user(user, data, actor=actor())
        except (Conflict, ValidationFailed) as error:
            attach_errors(form, error)
        else:
            flash_done("Changes saved.")
            return _to(user)
    security = security_summary(user)
    return render_template(
        "admin/users/form.html",
        form=form,
        user=user,
        security=security,
    ), _status(form)


@bp.post("/users/<user_id>/<any(enable, disable, verify):change>")
def user_flag(user_id: str, change: str):
    """Enable, disable or mark a user verified (one-click, CSRF-checked posts)."""
    user = service.get_user(user_id)
    if ActionForm().validate_on_submit():
        data = {
            "enable": {"is_active": True},
            "disable": {"is_active": False},
            "verify": {"is_verified": True},
        }[change]
        service.update_user(user, data, actor=actor())
        flash_done(
            {
                "enable": "User enabled.",
                "disable": "User disabled.",
                "verify": "Email marked as verified.",
            }[change]
        )
    return _to(user)


@bp.route("/users/<user_id>/delete", methods=["GET", "POST"])
def user_delete(user_id: str):
    user = service.get_user(user_id)

    def delete() -> str:
        email = user.email
        service.delete_user(user, actor=actor())
        flash_done(f"User {email} deleted.")
        return url_for("admin.users")

    return confirm_then(
        f"Delete {user.email}?",
        "The user, their roles and sign-in data are removed for good.",
        "Delete user",
        url_for("admin.user_edit", user_id=user.id),
        delete,
    )
