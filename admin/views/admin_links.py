"""Pages reached from admin mail, before sign-in: accept an invitation, reset a password.

A bad, used or expired link gets one page saying so (410), never a hint about
which of those it was. The TOTP secret being enrolled at acceptance waits in the
signed session cookie, as at sign-in (:mod:`admin.auth`).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from markupsafe import Markup

from admin import bp
from admin.admin_forms import SetPasswordForm
from admin.forms import attach_errors
from authsvc.admins import service, tokens
from authsvc.admins.models import ROLES
from authsvc.auth.mfa import qr_svg
from authsvc.errors import AuthsvcError

ENROL = "admin_invite_totp"


def _gone():
    return render_template("admin/admins/link.html", form=None, bad=tokens.BAD_LINK), 410


@bp.route("/accept", methods=["GET", "POST"])
def accept_invitation():
    """Set a password (and enrol TOTP when the tenant requires it) to become an admin."""
    raw = request.args.get("token")
    token = tokens.pending(raw, tokens.INVITE)
    if token is None:
        return _gone()
    needs_totp = tokens.totp_required(token)
    secret = session.setdefault(ENROL, service.new_totp_secret()) if needs_totp else None
    form = SetPasswordForm()
    valid = form.validate_on_submit()
    if needs_totp and form.is_submitted() and not (form.code.data or "").strip():
        form.code.errors = [*form.code.errors, "Enter the code your authenticator app shows."]
        valid = False
    if valid:
        try:
            tokens.accept(token, form.password.data, secret, form.code.data)
        except AuthsvcError as error:
            attach_errors(form, error)
        else:
            session.pop(ENROL, None)
            flash("Welcome! Sign in with your email and new password.", "success")
            return redirect(url_for("admin.login"))
    uri = service.totp_uri_for(token.email, secret) if secret else None
    # segno draws the SVG from our own URI (no user markup), so it may be inlined.
    qr = Markup(qr_svg(uri)) if uri else None  # noqa: S704
    if not needs_totp:
        del form.code
    page = render_template(
        "admin/admins/link.html",
        form=form,
        heading="Accept your invitation",
        email=token.email,
        role=ROLES.get(token.role, token.role),
        secret=secret,
        uri=uri,
        qr=qr,
    )
    return page, 422 if form.is_submitted() else 200


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    """Choose a new admin password from an emailed single-use link."""
    token = tokens.pending(request.args.get("token"), tokens.RESET)
    if token is None:
        return _gone()
    form = SetPasswordForm()
    del form.code
    if form.validate_on_submit():
        try:
            tokens.reset(token, form.password.data)
        except AuthsvcError as error:
            attach_errors(form, error)
        else:
            flash("Your password is changed. Sign in with it.", "success")
            return redirect(url_for("admin.login"))
    page = render_template(
        "admin/admins/link.html", form=form, heading="Choose a new password", email=token.email
    )
    return page, 422 if form.is_submitted() else 200
