"""My account: the signed-in admin's own password, TOTP and panel sessions.

Panel sessions are signed cookies, so there is no list of other browsers to end
one by one; "end my other sessions" bumps the admin's session epoch (every
cookie issued before is worthless) and re-stamps this browser's cookie, so
only this session survives. Changing the password does the same.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g, redirect, render_template, session, url_for
from flask_login import current_user
from markupsafe import Markup

from admin import bp, sessions
from admin.access import mfa_required
from admin.admin_forms import ChangePasswordForm, DisableTotpForm, EnableTotpForm
from admin.views.common import confirm_then, flash_done
from authsvc.admins import service
from authsvc.audit import service as audit
from authsvc.auth.mfa import qr_svg
from authsvc.passwords import verify_password

ENROL = "admin_totp_enrol"
WRONG_PASSWORD = "That is not your current password."  # noqa: S105 - a message


def _keep_this_session() -> None:
    """After the epoch moved on, let this browser's cookie carry the new one."""
    session[sessions.EPOCH] = current_user.session_epoch


def _started() -> datetime | None:
    stamp = session.get(sessions.LOGIN_AT)
    return datetime.fromtimestamp(stamp, UTC) if stamp else None


def _recent_sign_ins() -> list:
    if g.get("admin_tenant") is None:
        return []
    wanted = {"actor_type": "admin", "actor_id": current_user.email, "action": "admin.login"}
    return audit.search(wanted, None, 5).items


def _page(status: int = 200, **forms):
    enrol = None if current_user.has_totp else session.setdefault(ENROL, service.new_totp_secret())
    uri = service.totp_uri(current_user, enrol) if enrol else None
    # segno draws the SVG from our own URI (no user markup), so it may be inlined.
    qr = Markup(qr_svg(uri)) if uri else None  # noqa: S704
    page = render_template(
        "admin/account.html",
        password_form=forms.get("password_form") or ChangePasswordForm(),
        enable_form=forms.get("enable_form") or EnableTotpForm(),
        disable_form=forms.get("disable_form") or DisableTotpForm(),
        secret=enrol,
        uri=uri,
        qr=qr,
        started=_started(),
        sign_ins=_recent_sign_ins(),
    )
    return page, status


def _valid_with_current_password(form) -> bool:
    """The form's checks and the admin's current password, errors in one pass."""
    valid = form.validate_on_submit()
    if form.current_password.data and not verify_password(
        current_user.password_hash, form.current_password.data
    ):
        form.current_password.errors = [*form.current_password.errors, WRONG_PASSWORD]
        valid = False
    return valid


@bp.get("/account")
def my_account():
    return _page()


@bp.post("/account/password")
def my_account_password():
    """A new password (the current one required); other browsers are signed out."""
    form = ChangePasswordForm()
    valid = _valid_with_current_password(form)
    if not valid:
        return _page(422, password_form=form)
    service.set_password(current_user, form.password.data, f"admin:{current_user.email}")
    _keep_this_session()
    flash_done("Your password is changed; your other sessions are signed out.")
    return redirect(url_for("admin.my_account"))


@bp.post("/account/totp")
def my_account_totp():
    """Enrol the authenticator app whose code proves it holds the shown key."""
    form = EnableTotpForm()
    if current_user.has_totp:
        return redirect(url_for("admin.my_account"))
    ok = form.validate_on_submit() and service.enable_totp(
        current_user, session.get(ENROL, ""), form.code.data
    )
    if not ok:
        form.code.errors = [*form.code.errors, "That code is not valid. Check your device's clock."]
        return _page(422, enable_form=form)
    session.pop(ENROL, None)
    session[sessions.MFA_OK] = True
    flash_done("Two-factor authentication is on.")
    return redirect(url_for("admin.my_account"))


def _required_by() -> list[str]:
    """The names of this admin's tenants that require two-factor sign-in (one query)."""
    import sqlalchemy as sa

    from authsvc.extensions import db
    from authsvc.tenants.models import Tenant

    ids = [m.tenant_id for m in current_user.memberships]
    tenants = db.session.execute(
        sa.select(Tenant).where(Tenant.id.in_(ids)).order_by(Tenant.name)
    ).scalars()
    return [t.name for t in tenants if mfa_required(t)]


@bp.post("/account/totp/disable")
def my_account_totp_disable():
    """Turn TOTP off (current password required), unless a tenant of this admin requires it."""
    form = DisableTotpForm()
    valid = _valid_with_current_password(form)
    requiring = _required_by()
    if requiring:
        form.form_errors.append(f"{', '.join(requiring)} requires two-factor authentication.")
        valid = False
    if not valid:
        return _page(422, disable_form=form)
    service.reset_totp(current_user, f"admin:{current_user.email}")
    flash_done("Two-factor authentication is off.")
    return redirect(url_for("admin.my_account"))


@bp.route("/account/sessions/end", methods=["GET", "POST"])
def my_account_sessions_end():
    """End every other panel session of this admin, after a confirmation."""

    def act() -> str:
        service.end_all_sessions(current_user)
        _keep_this_session()
        flash_done("Your other sessions are signed out.")
        return url_for("admin.my_account")

    return confirm_then(
        "Sign out your other sessions?",
        "Every other browser signed in to the panel as you is signed out; this one stays.",
        "Sign out other sessions",
        url_for("admin.my_account"),
        act,
    )
