"""The hosted pages. Each view parses its form, calls one auth service, renders the result.

Errors from the services come back as form errors next to the field they
concern (or above the form), with the error's HTTP status, so the page works
without JavaScript and a script can still tell failure from success.
"""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request
from flask import session as cookie_session

from authsvc.auth import context, service
from authsvc.auth.tenant_policy import policy_for
from authsvc.errors import AuthsvcError
from authsvc.extensions import db, limiter
from authsvc.hosted import bp, forms, page_url
from authsvc.hosted import session as hosted_session
from authsvc.hosted.redirects import safe_return_to
from authsvc.organizations.views import pending_invitation_page
from authsvc.sessions import service as sessions

MFA_KEY = "authsvc_hosted_mfa"


def _end_user_key() -> str:
    return f"hosted:{g.tenant.id}:{request.remote_addr}"


def flow_limit(setting: str):
    """The same per-flow limits as the REST API (``RATELIMIT_<setting>``), on form posts,
    per tenant and browser address."""
    return limiter.limit(
        lambda: current_app.config[f"RATELIMIT_{setting}"],
        key_func=_end_user_key,
        methods=["POST"],
    )


def _page(template: str, status: int = 200, headers=None, **values):
    return render_template(f"hosted/{template}.html", **values), status, headers or {}


def _failed(template: str, form, error: AuthsvcError, **values):
    """Roll back, put the error's messages next to their fields, render with its status."""
    db.session.rollback()
    placed = False
    for name, messages in (error.extra.get("errors") or {}).items():
        field = getattr(form, name, None)
        if field is not None and field.type != "HiddenField":
            field.errors = [*field.errors, *messages]
            placed = True
    if not placed:
        form.form_errors.append(error.detail)
    return _page(template, error.status, error.headers, form=form, **values)


def _return_to() -> str | None:
    return safe_return_to(g.tenant, request.values.get("return_to"))


def _signed_in(result, return_to: str | None):
    # A sign-in that interrupted an invitation goes back to it; else the account page.
    landing = return_to or pending_invitation_page() or page_url("account")
    response = redirect(landing, code=303)
    return hosted_session.start(response, result.session_id)


@bp.get("/")
def home():
    """The tenant's landing page."""
    return _page("home", current=hosted_session.current())


@bp.route("/login", methods=["GET", "POST"])
@flow_limit("LOGIN")
def login():
    """Sign in with email or username and password; MFA users continue on /mfa."""
    return_to = _return_to()
    form = forms.LoginForm(return_to=return_to, identifier=request.args.get("login_hint"))
    if not form.validate_on_submit():
        status = 422 if form.errors else 200
        return _page("login", status, form=form, return_to=return_to)
    try:
        result = service.login(form.identifier.data, form.password.data, context.from_request())
    except AuthsvcError as error:
        return _failed("login", form, error, return_to=return_to)
    if result.mfa_required:
        cookie_session[MFA_KEY] = {
            "tenant": str(g.tenant.id),
            "token": result.mfa_token,
            "return_to": return_to,
        }
        return redirect(page_url("mfa"), code=303)
    return _signed_in(result, return_to)


@bp.route("/mfa", methods=["GET", "POST"])
@flow_limit("LOGIN")
def mfa():
    """Second step of a sign-in: a TOTP or recovery code."""
    pending = cookie_session.get(MFA_KEY)
    if not pending or pending.get("tenant") != str(g.tenant.id):
        return redirect(page_url("login"), code=303)
    form = forms.MfaForm()
    if not form.validate_on_submit():
        return _page("mfa", 422 if form.errors else 200, form=form)
    code = "".join(form.code.data.split())
    try:
        result = service.complete_mfa(pending["token"], code, context.from_request())
    except AuthsvcError as error:
        if error.status == 401:
            error.extra["errors"] = {"code": ["The code is not correct, or it has expired."]}
        return _failed("mfa", form, error)
    cookie_session.pop(MFA_KEY, None)
    return _signed_in(result, pending.get("return_to"))


@bp.route("/register", methods=["GET", "POST"])
@flow_limit("REGISTER")
def register():
    """Create an account; a verification link is emailed."""
    form = forms.RegisterForm(return_to=_return_to())
    if not form.validate_on_submit():
        return _page("register", 422 if form.errors else 200, form=form)
    data = {"email": form.email.data.strip(), "password": form.password.data}
    for name in ("username", "display_name"):
        if getattr(form, name).data:
            data[name] = getattr(form, name).data.strip()
    try:
        user = service.register(data, context.from_request())
    except AuthsvcError as error:
        return _failed("register", form, error)
    if user is None:  # the tenant answers every sign-up alike (registration_conflict)
        return _page("register_done", 202, email=data["email"], return_to=form.return_to.data)
    return _page(
        "register_done", 201, email=user.email, created=True, return_to=form.return_to.data
    )


@bp.route("/forgot-password", methods=["GET", "POST"])
@flow_limit("FORGOT_PASSWORD")
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = forms.ForgotPasswordForm()
    if not form.validate_on_submit():
        return _page("forgot_password", 422 if form.errors else 200, form=form)
    try:
        service.request_password_reset(form.email.data.strip())
    except AuthsvcError as error:
        return _failed("forgot_password", form, error)
    return _page("forgot_password_done")


@bp.route("/reset", methods=["GET", "POST"])
def reset():
    """Choose a new password from an emailed link (``?token=``)."""
    form = forms.ResetPasswordForm(token=request.args.get("token", ""))
    if not form.validate_on_submit():
        return _page("reset", 422 if request.method == "POST" else 200, form=form)
    try:
        service.reset_password(form.token.data, form.new_password.data)
    except AuthsvcError as error:
        return _failed("reset", form, error)
    return _page("reset_done")


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """Confirm an email address from an emailed link (``?token=``).

    The link opens a page with a button rather than confirming on GET, because
    mail scanners fetch links and would spend the single-use token.
    """
    form = forms.VerifyEmailForm(token=request.args.get("token", ""))
    if not form.validate_on_submit():
        return _page("verify", 422 if request.method == "POST" else 200, form=form)
    try:
        user = service.verify_email(form.token.data)
    except AuthsvcError as error:
        return _failed("verify", form, error)
    return _page("verify_done", email=user.email)


@bp.get("/signed-in")
def signed_in():
    """Where sign-ins used to end; bookmarks of it now lead to the account page."""
    if hosted_session.current() is None:
        return redirect(page_url("login"), code=303)
    # A sign-in that interrupted an invitation goes back to it.
    invitation = pending_invitation_page()
    if invitation:
        return redirect(invitation, code=303)
    return redirect(page_url("account"), code=303)


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out (POST, with CSRF); GET asks for confirmation."""
    return_to = _return_to()
    form = forms.LogoutForm(return_to=return_to)
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return _page("logout", status, form=form, current=hosted_session.current())
    current = hosted_session.current()
    if current is not None:
        device_session, user = current
        sessions.revoke(device_session, "logout", policy_for(g.tenant), actor=f"user:{user.id}")
        db.session.commit()
    response = redirect(return_to or page_url("login"), code=303)
    return hosted_session.end(response)
