"""A user's Security and Sessions tabs: reset email, unlock, sessions, MFA reset, unlink.

Each action calls the end-user authentication services (``authsvc.auth``), the
same ones the REST API uses, under the tenant bound for the panel request.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for

from admin import bp
from admin.forms import ActionForm
from admin.views.common import actor, confirm_then, flash_done
from authsvc.applications.service import list_applications
from authsvc.audit import service as audit
from authsvc.auth import mfa, throttle
from authsvc.auth import service as auth
from authsvc.auth.tenant_policy import policy_for
from authsvc.errors import Conflict, NotFound
from authsvc.extensions import db
from authsvc.federation import accounts
from authsvc.federation.service import list_providers
from authsvc.sessions import service as sessions
from authsvc.users import service as users

FAILURES_SHOWN = 10


def security_summary(user) -> dict:
    """What the user page shows: lockout, MFA, active sessions."""
    return {
        "locked": throttle.check(throttle.subjects(user.email, user, None)),
        "mfa": mfa.is_enabled(user),
        "sessions": sessions.list_sessions(user.id),
    }


@bp.post("/users/<user_id>/send-reset")
def user_send_reset(user_id: str):
    """Email the user a password-reset link (the same mail as the forgot-password flow)."""
    user = users.get_user(user_id)
    if ActionForm().validate_on_submit():
        # Staged first: it commits with the mail the service queues (and is dropped
        # with the request's transaction when no mail goes out).
        audit.stage("user.password_reset_sent", actor(), ("user", user.id), {"email": user.email})
        auth.request_password_reset(user.email)
        flash_done(f"A password-reset email is on its way to {user.email}.")
    return redirect(url_for("admin.user_edit", user_id=user.id))


@bp.post("/users/<user_id>/unlock")
def user_unlock(user_id: str):
    user = users.get_user(user_id)
    if ActionForm().validate_on_submit():
        auth.unlock(user, actor())
        flash_done("The account is unlocked; failed attempts are forgotten.")
    return redirect(url_for("admin.user_security", user_id=user.id))


@bp.get("/users/<user_id>/security")
def user_security(user_id: str):
    """MFA, lockout and its recent failed sign-ins, linked identities."""
    user = users.get_user(user_id)
    failures = audit.search(
        {"target_type": "user", "target_id": str(user.id), "action": "user.login_failed"},
        None,
        FAILURES_SHOWN,
    ).items
    return render_template(
        "admin/users/security.html",
        user=user,
        security=security_summary(user),
        failures=failures,
        identities=accounts.list_identities(user.id),
        providers={p.id: p for p in list_providers()},
    )


@bp.get("/users/<user_id>/sessions")
def user_sessions(user_id: str):
    user = users.get_user(user_id)
    listed = sessions.list_sessions(user.id)
    return render_template(
        "admin/users/sessions.html",
        user=user,
        sessions=listed,
        app_names=application_names({s.application_id for s in listed}),
    )


def application_names(ids) -> dict:
    """Names of the applications sessions belong to (by id), to show names, not ids."""
    ids = {value for value in ids if value is not None}
    return {app.id: app.name for app in list_applications() if app.id in ids} if ids else {}


@bp.route("/users/<user_id>/identities/<identity_id>/unlink", methods=["GET", "POST"])
def user_identity_unlink(user_id: str, identity_id: str):
    """Remove a link to an outside provider, confirmed first; never the last way in."""
    user = users.get_user(user_id)
    identity = next(
        (i for i in accounts.list_identities(user.id) if str(i.id) == identity_id), None
    )
    back = url_for("admin.user_security", user_id=user.id)
    if identity is None:
        raise NotFound(f"No identity with id {identity_id}.")

    def unlink() -> str:
        try:
            accounts.unlink_identity(user.id, identity_id, actor=actor())
        except Conflict as error:
            flash(error.detail, "danger")
        else:
            flash_done("The identity is unlinked.")
        return back

    return confirm_then(
        f"Unlink {identity.email or identity.subject} from {user.email}?",
        "The user can no longer sign in with this provider account unless they link it again.",
        "Unlink",
        back,
        unlink,
    )


@bp.post("/users/<user_id>/sessions/<session_id>/revoke")
def user_session_revoke(user_id: str, session_id: str):
    """End one device session: its refresh token dies and its access tokens are refused."""
    user = users.get_user(user_id)
    session = sessions.get_session(session_id, user.id)
    if ActionForm().validate_on_submit():
        sessions.revoke(session, "admin_revoked", policy_for(g.admin_tenant), actor())
        db.session.commit()
        flash_done("Session revoked.")
    return redirect(url_for("admin.user_sessions", user_id=user.id))


@bp.route("/users/<user_id>/sessions/revoke-all", methods=["GET", "POST"])
def user_sessions_revoke_all(user_id: str):
    """Sign the user out everywhere, once confirmed."""
    user = users.get_user(user_id)
    back = url_for("admin.user_sessions", user_id=user.id)

    def revoke() -> str:
        count = sessions.revoke_all(user.id, "admin_revoked", policy_for(g.admin_tenant), actor())
        db.session.commit()
        flash_done(f"{count} session(s) revoked.")
        return back

    return confirm_then(
        f"Revoke every session of {user.email}?",
        "They are signed out on every device and their refresh tokens stop working.",
        "Revoke all sessions",
        back,
        revoke,
    )


@bp.route("/users/<user_id>/reset-mfa", methods=["GET", "POST"])
def user_reset_mfa(user_id: str):
    """Remove the user's authenticator (they lost their device); confirmed first."""
    user = users.get_user(user_id)

    def reset() -> str:
        mfa.disable(user, actor())
        flash_done("Two-factor authentication removed; the user can enrol again.")
        return url_for("admin.user_security", user_id=user.id)

    return confirm_then(
        f"Reset two-factor authentication of {user.email}?",
        "Their authenticator app and recovery codes stop working. Do this only after "
        "checking who is asking.",
        "Reset MFA",
        url_for("admin.user_security", user_id=user.id),
        reset,
    )
