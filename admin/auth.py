"""Panel sign-in and sign-out, with the TOTP step when required.

Failures get one generic message, whichever of email or password was wrong,
and whether or not the account is locked. Failed password and TOTP steps lock
the account like an end user's (:mod:`authsvc.admins.lockout`, counted in the
shared store, whatever the client address); the password step is also rate
limited per client address and email. Sign-in, sign-out and failures are
audited by the admins service.
"""

from __future__ import annotations

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from markupsafe import Markup

from admin import bp, sessions
from admin.access import mfa_required
from admin.forms import ActionForm, LoginForm, TotpForm
from authsvc.admins import service
from authsvc.admins.lockout import normalize_email
from authsvc.admins.models import Admin
from authsvc.auth.mfa import qr_svg
from authsvc.extensions import db, limiter, login_manager
from authsvc.tenants.models import Tenant

FAILED = "Invalid email or password."


@login_manager.user_loader
def load_admin(admin_id: str) -> Admin | None:
    import uuid

    try:
        admin = db.session.get(Admin, uuid.UUID(admin_id))
    except ValueError:
        return None
    return admin if admin is not None and admin.is_active else None


def _login_limit_key() -> str:
    return f"admin-login:{request.remote_addr}:{normalize_email(request.form.get('email') or '')}"


def _safe_next(target: str | None) -> str:
    """Only return to a panel page of this site (no open redirect)."""
    if target and target.startswith("/admin") and not target.startswith("//"):
        return target
    return url_for("admin.dashboard")


def _requiring_tenants(admin: Admin) -> list[Tenant]:
    """The tenants whose policy makes this admin use TOTP (for a platform admin: the
    current tenant, if it does; they may switch away)."""
    if admin.is_platform_admin:
        current = g.get("admin_tenant")
        return [current] if mfa_required(current) else []
    tenants = [db.session.get(Tenant, m.tenant_id) for m in admin.memberships]
    return [t for t in tenants if mfa_required(t)]


def _needs_second_factor(admin: Admin) -> bool:
    return admin.has_totp or (not admin.is_platform_admin and bool(_requiring_tenants(admin)))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["ADMIN_LOGIN_RATE_LIMIT"],
    key_func=_login_limit_key,
    methods=["POST"],
)
def login():
    """The sign-in form."""
    if current_user.is_authenticated:
        return redirect(url_for("admin.dashboard"))
    form = LoginForm(next=request.args.get("next"))
    if form.validate_on_submit():
        admin = service.authenticate(form.email.data, form.password.data)
        if admin is None:
            form.password.errors = [FAILED]
        elif _needs_second_factor(admin):
            sessions.begin_pending(admin)
            session["admin_next"] = _safe_next(form.next.data)
            return redirect(url_for("admin.login_mfa"))
        else:
            sessions.start(admin, mfa_ok=False)
            return redirect(_safe_next(form.next.data))
    return render_template("admin/login.html", form=form), 200 if not form.errors else 401


@bp.route("/login/mfa", methods=["GET", "POST"])
def login_mfa():
    """Second step of sign-in: verify (or enrol) a TOTP code."""
    admin_id = sessions.pending_admin_id()
    admin = load_admin(admin_id) if admin_id else None
    if admin is None:
        flash("Please sign in again.", "warning")
        return redirect(url_for("admin.login"))
    target = session.get("admin_next") or url_for("admin.dashboard")
    ok, form = _totp_step(admin)
    if ok:
        sessions.start(admin, mfa_ok=True)
        return redirect(_safe_next(target))
    return _render_totp(admin, form)


@bp.route("/mfa", methods=["GET", "POST"])
def mfa():
    """TOTP for a signed-in admin whose current tenant now requires it."""
    ok, form = _totp_step(current_user)
    if ok:
        session[sessions.MFA_OK] = True
        flash("Two-factor authentication verified.", "success")
        return redirect(url_for("admin.dashboard"))
    return _render_totp(current_user, form)


def _totp_step(admin: Admin) -> tuple[bool, TotpForm]:
    """Validate the posted code: against the enrolled secret, or enrol a new one.

    The secret being enrolled waits in the signed session cookie (HttpOnly) for
    the few minutes of enrolment; it is the same secret the page displays.
    """
    form = TotpForm()
    session.setdefault("admin_totp_enrol", service.new_totp_secret())
    if not form.validate_on_submit():
        return False, form
    # A locked account is refused before the code is checked (and not counted again).
    locked = service.is_locked(admin)
    if locked:
        ok = False
    elif admin.has_totp:
        ok = service.verify_totp(admin, form.code.data)
    else:
        ok = service.enable_totp(admin, session["admin_totp_enrol"], form.code.data)
    if not ok:
        if not locked:
            service.failed_sign_in(admin.email, admin, "totp")
        form.code.errors = ["That code is not valid. Check your device's clock and try again."]
        return False, form
    session.pop("admin_totp_enrol", None)
    return True, form


def _render_totp(admin: Admin, form: TotpForm):
    enrol_secret = None if admin.has_totp else session.get("admin_totp_enrol")
    uri = service.totp_uri(admin, enrol_secret) if enrol_secret else None
    # segno draws the SVG from our own URI (no user markup), so it may be inlined.
    qr = Markup(qr_svg(uri)) if uri else None  # noqa: S704
    status = 401 if form.is_submitted() else 200
    requiring = [t.name for t in _requiring_tenants(admin)] if enrol_secret else []
    page = render_template(
        "admin/mfa.html", form=form, secret=enrol_secret, uri=uri, qr=qr, requiring=requiring
    )
    return page, status


@bp.post("/logout")
def logout():
    """Sign out everywhere (a POST with a CSRF token: no other site can sign an admin out)."""
    if ActionForm().validate_on_submit():
        service.sign_out(current_user)
        sessions.end()
        flash("You are signed out (in every browser).", "info")
    return redirect(url_for("admin.login"))
