"""The end user's own account pages: profile, password, TOTP, sessions, linked providers
(email change and app grants are in :mod:`authsvc.hosted.account_links`).

Every page needs the hosted session (:mod:`authsvc.hosted.session`) and acts
only on that user's data, through the same services as the ``/me`` API:
a session or provider link of another user (or tenant) is simply not found.
Password, TOTP removal and account deletion ask for the password (or a TOTP
code) again; failures count towards the sign-in lockout.
"""

from __future__ import annotations

import functools

from flask import flash, g, redirect, render_template
from flask import session as cookie_session
from markupsafe import Markup

from authsvc.applications import consents
from authsvc.auth import mfa
from authsvc.auth import service as auth
from authsvc.auth.tenant_policy import policy_for
from authsvc.errors import AuthsvcError, Conflict
from authsvc.extensions import db
from authsvc.federation import accounts
from authsvc.federation.service import get_provider
from authsvc.hosted import bp, forms, page_url
from authsvc.hosted import session as hosted_session
from authsvc.hosted.views import flow_limit
from authsvc.sessions import service as sessions
from authsvc.users.service import delete_user, update_profile

ENROL_KEY = "authsvc_hosted_totp_enrol"


def require_user(view):
    """Run ``view`` with the browser's device session and user in ``g``; else go sign in."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        current = hosted_session.current()
        if current is None:
            return redirect(page_url("login"), code=303)
        g.device_session, g.user = current
        return view(*args, **kwargs)

    return wrapper


def actor() -> str:
    return f"user:{g.user.id}"


def _providers() -> list[tuple[object, str]]:
    links = accounts.list_identities(g.user.id)
    return [(link, get_provider(link.provider_id).display_name) for link in links]


def overview(status: int = 200, **forms_given):
    """The account page; a form given by the caller keeps its input and errors."""
    page_forms = {
        "profile": forms.ProfileForm(formdata=None, display_name=g.user.display_name),
        "password": forms.ChangePasswordForm(formdata=None),
        "mfa_off": forms.ReauthenticateForm(formdata=None),
        "action": forms.ActionForm(formdata=None),
        "email": forms.EmailChangeForm(formdata=None, prefix=forms.EMAIL_CHANGE_PREFIX),
        **forms_given,
    }
    return render_template(
        "hosted/account.html",
        user=g.user,
        current_session_id=g.device_session.id,
        sessions=sessions.list_sessions(g.user.id),
        mfa_on=mfa.is_enabled(g.user),
        identities=_providers(),
        grants=consents.list_grants(g.user.id),
        forms=page_forms,
    ), status


def failed(form, error: AuthsvcError, render):
    """Roll back, put the service's messages next to their fields, render with its status."""
    db.session.rollback()
    placed = False
    for name, messages in (error.extra.get("errors") or {}).items():
        field = getattr(form, name.rsplit(".", 1)[-1], None)
        if field is not None:
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(error.detail)
    return render(error.status)


def done(message: str):
    flash(message, "success")
    return redirect(page_url("account"), code=303)


@bp.get("/account")
@require_user
def account():
    """The signed-in user's account: where a sign-in without ``return_to`` lands."""
    return overview()


@bp.post("/account/profile")
@require_user
def account_profile():
    form = forms.ProfileForm()
    if not form.validate_on_submit():
        return overview(422, profile=form)
    name = (form.display_name.data or "").strip() or None
    try:
        update_profile(g.user, {"display_name": name}, actor=actor())
    except AuthsvcError as error:
        return failed(form, error, lambda status: overview(status, profile=form))
    return done("Your profile is saved.")


@bp.post("/account/password")
@flow_limit("LOGIN")
@require_user
def account_password():
    """Change the password; every other session of the user ends."""
    form = forms.ChangePasswordForm()
    if not form.validate_on_submit():
        return overview(422, password=form)
    try:
        auth.change_password(
            g.user, form.current_password.data, form.new_password.data, g.device_session.id
        )
    except AuthsvcError as error:
        if error.status == 401:
            error.extra["errors"] = {"current_password": [error.detail]}
        return failed(form, error, lambda status: overview(status, password=form))
    return done("Your password is changed; your other sessions are signed out.")


@bp.post("/account/sessions/<session_id>/revoke")
@require_user
def account_session_revoke(session_id: str):
    """Sign out one session; signing out this one ends the page's session too."""
    if not forms.ActionForm().validate_on_submit():
        return overview(400)
    target = sessions.get_session(session_id, user_id=g.user.id)
    sessions.revoke(target, "user_revoked", policy_for(g.tenant), actor=actor())
    db.session.commit()
    if target.id == g.device_session.id:
        return hosted_session.end(redirect(page_url("login"), code=303))
    return done("That session is signed out.")


@bp.post("/account/sessions/revoke-others")
@require_user
def account_sessions_revoke_others():
    if not forms.ActionForm().validate_on_submit():
        return overview(400)
    count = sessions.revoke_all(
        g.user.id, "user_revoked", policy_for(g.tenant), actor(), keep=g.device_session.id
    )
    db.session.commit()
    return done(f"{count} other session{'s' if count != 1 else ''} signed out.")


@bp.post("/account/identities/<identity_id>/unlink")
@require_user
def account_identity_unlink(identity_id: str):
    form = forms.ActionForm()
    if not form.validate_on_submit():
        return overview(400)
    try:
        accounts.unlink_identity(g.user.id, identity_id)
    except Conflict as error:  # the last way to sign in; a foreign id stays a plain 404
        return failed(form, error, lambda status: overview(status, action=form))
    return done("The sign-in provider is unlinked.")


def _render_enrolment(form, status: int = 200):
    pending = cookie_session.get(ENROL_KEY) or {}
    return render_template(
        "hosted/account_totp.html",
        form=form,
        secret=pending.get("secret"),
        # segno draws the SVG from our own otpauth URI (no user markup), so it may be inlined.
        qr=Markup(mfa.qr_svg(pending["uri"])) if pending.get("uri") else None,  # noqa: S704
    ), status


@bp.post("/account/mfa")
@require_user
def account_mfa_start():
    """Start TOTP enrolment: a QR code to scan, then a first code to confirm."""
    if not forms.ActionForm().validate_on_submit():
        return overview(400)
    try:
        enrolment = mfa.enrol(g.user, issuer_name=g.tenant.name)
    except AuthsvcError as error:
        return failed(forms.ActionForm(), error, lambda status: overview(status))
    # The secret is the user's own; it waits in the signed, HttpOnly cookie while they scan.
    cookie_session[ENROL_KEY] = {
        "user": str(g.user.id),
        "secret": enrolment["secret"],
        "uri": enrolment["otpauth_uri"],
    }
    return _render_enrolment(forms.TotpConfirmForm(formdata=None))


@bp.post("/account/mfa/confirm")
@flow_limit("LOGIN")
@require_user
def account_mfa_confirm():
    """Confirm the first code; the ten recovery codes are shown this once."""
    pending = cookie_session.get(ENROL_KEY)
    if not pending or pending.get("user") != str(g.user.id):
        return redirect(page_url("account"), code=303)
    form = forms.TotpConfirmForm()
    if not form.validate_on_submit():
        return _render_enrolment(form, 422)
    try:
        codes = mfa.confirm(g.user, "".join(form.code.data.split()))
    except AuthsvcError as error:
        return failed(form, error, lambda status: _render_enrolment(form, status))
    cookie_session.pop(ENROL_KEY, None)
    page = render_template("hosted/account_recovery.html", codes=codes)
    return page, 200, {"Cache-Control": "no-store"}


@bp.post("/account/mfa/disable")
@flow_limit("LOGIN")
@require_user
def account_mfa_disable():
    form = forms.ReauthenticateForm()
    if not form.validate_on_submit():
        return overview(422, mfa_off=form)
    try:
        auth.reauthenticate(g.user, form.password.data, form.code.data)
        mfa.disable(g.user, actor=actor())
    except AuthsvcError as error:
        if error.status == 401:
            error.extra["errors"] = {"password": [error.detail]}
        return failed(form, error, lambda status: overview(status, mfa_off=form))
    return done("Two-factor authentication is off.")


@bp.route("/account/delete", methods=["GET", "POST"])
@flow_limit("LOGIN")
@require_user
def account_delete():
    """Delete the account for good, after the password (or a TOTP code) once more."""
    form = forms.ReauthenticateForm()

    def render(status: int = 200):
        mfa_on = mfa.is_enabled(g.user)
        return render_template("hosted/account_delete.html", form=form, mfa_on=mfa_on), status

    if not form.validate_on_submit():
        return render(422 if form.is_submitted() else 200)
    try:
        auth.reauthenticate(g.user, form.password.data, form.code.data)
        delete_user(g.user, actor=actor())
    except AuthsvcError as error:
        if error.status == 401:
            error.extra["errors"] = {"password": [error.detail]}
        return failed(form, error, render)
    response = redirect(page_url("account_deleted"), code=303)
    return hosted_session.end(response)


@bp.get("/account/deleted")
def account_deleted():
    return render_template("hosted/account_deleted.html")
