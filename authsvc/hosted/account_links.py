"""The account page's email change (confirmed from the new address) and app grants.

Both act only for the signed-in user through the same services as the ``/me`` API:
another user's grant is simply not found. An email change asks for the password
(or a code) again; failures count towards the sign-in lockout.
"""

from __future__ import annotations

from flask import g, render_template, request

from authsvc.applications import consents
from authsvc.auth import email_change
from authsvc.auth import service as auth
from authsvc.errors import AuthsvcError
from authsvc.extensions import db
from authsvc.hosted import bp, forms
from authsvc.hosted.account import done, failed, overview, require_user
from authsvc.hosted.views import flow_limit


@bp.post("/account/email")
@flow_limit("LOGIN")
@require_user
def account_email():
    """Ask to change the email: a link to the new address, a notice to the current one."""
    form = forms.EmailChangeForm(prefix=forms.EMAIL_CHANGE_PREFIX)
    if not form.validate_on_submit():
        return overview(422, email=form)
    try:
        auth.reauthenticate(g.user, form.password.data, form.code.data)
        new_email = email_change.request_change(g.user, form.new_email.data)
    except AuthsvcError as error:
        if error.status == 401:
            error.extra["errors"] = {"password": [error.detail]}
        return failed(form, error, lambda status: overview(status, email=form))
    db.session.commit()
    return done(
        f"We sent a link to {new_email}. Your address changes when you open it and confirm."
    )


@bp.route("/account/email/confirm", methods=["GET", "POST"])
@flow_limit("LOGIN")
def account_email_confirm():
    """Confirm an email change from the mailed link (``?token=``), with a button.

    As for verification links, GET only shows the button: mail scanners fetch links
    and would spend the single-use token.
    """
    form = forms.ConfirmEmailChangeForm(token=request.args.get("token", ""))

    def render(status: int = 200, email: str | None = None):
        page = render_template("hosted/account_email_confirm.html", form=form, email=email)
        return page, status

    if not form.validate_on_submit():
        return render(422 if request.method == "POST" else 200)
    try:
        user = email_change.confirm_change(form.token.data)
    except AuthsvcError as error:
        db.session.rollback()
        form.form_errors.append(error.detail)
        return render(error.status)
    return render(email=user.email)


@bp.post("/account/grants/<grant_id>/revoke")
@require_user
def account_grant_revoke(grant_id: str):
    """Withdraw an application's access: its grant goes and its sessions of the user end."""
    if not forms.ActionForm().validate_on_submit():
        return overview(400)
    consents.revoke_grant(g.user.id, grant_id)
    return done("The application's access is withdrawn.")
