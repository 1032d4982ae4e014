"""OAuth applications of the current tenant: list, register (secret shown once), edit, delete."""

from __future__ import annotations

from flask import render_template, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import ApplicationForm, attach_errors, lines
from admin.views.common import actor, confirm_then, flash_done
from authsvc.applications import service
from authsvc.applications.models import GRANT_TYPES, SCOPES
from authsvc.errors import ValidationFailed


def _form(application=None) -> ApplicationForm:
    form = ApplicationForm(obj=application)
    form.grant_types.choices = [(name, name) for name in GRANT_TYPES]
    form.scopes.choices = [(name, name) for name in SCOPES]
    if application is not None and not form.is_submitted():
        form.redirect_uris.data = "\n".join(application.redirect_uris)
        form.post_logout_redirect_uris.data = "\n".join(application.post_logout_redirect_uris)
    return form


def _data(form: ApplicationForm) -> dict:
    return {
        "name": form.name.data.strip(),
        "redirect_uris": lines(form.redirect_uris.data),
        "post_logout_redirect_uris": lines(form.post_logout_redirect_uris.data),
        "grant_types": form.grant_types.data or [],
        "scopes": form.scopes.data or [],
        "first_party": bool(form.first_party.data),
        "access_token_ttl_seconds": form.access_token_ttl_seconds.data,
        "refresh_token_ttl_seconds": form.refresh_token_ttl_seconds.data,
    }


def _status(form: ApplicationForm) -> int:
    return 422 if form.is_submitted() and (form.errors or form.form_errors) else 200


@bp.get("/applications")
def applications():
    require_tenant()
    listed = service.list_applications()
    return render_template("admin/applications/list.html", applications=listed)


@bp.route("/applications/new", methods=["GET", "POST"])
def application_new():
    """Register an application; the answer is the only page that shows its secret."""
    require_tenant()
    form = _form()
    if form.validate_on_submit():
        data = {**_data(form), "client_type": form.client_type.data}
        try:
            application, secret = service.create_application(data, actor=actor())
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            # Rendered, not redirected: the secret must not travel in a URL or session.
            page = render_template(
                "admin/applications/created.html", application=application, secret=secret
            )
            return page, 201, {"Cache-Control": "no-store"}
    page = render_template("admin/applications/form.html", form=form, application=None)
    return page, _status(form)


@bp.route("/applications/<application_id>", methods=["GET", "POST"])
def application_edit(application_id: str):
    require_tenant()
    application = service.get_application(application_id)
    form = _form(application)
    del form.client_type  # fixed at registration
    if form.validate_on_submit():
        try:
            service.update_application(application, _data(form), actor=actor())
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            flash_done(f"Application {application.name} saved.")
    page = render_template("admin/applications/form.html", form=form, application=application)
    return page, _status(form)


@bp.route("/applications/<application_id>/delete", methods=["GET", "POST"])
def application_delete(application_id: str):
    require_tenant()
    application = service.get_application(application_id)

    def delete() -> str:
        service.delete_application(application, actor=actor())
        flash_done(f"Application {application.name} deleted.")
        return url_for("admin.applications")

    return confirm_then(
        f"Delete the application {application.name}?",
        "Its users are signed out of it and its tokens stop working at once. "
        "This cannot be undone.",
        "Delete application",
        url_for("admin.applications"),
        delete,
    )
