"""Admin sign-in state in the session: fresh at login, idle and absolute timeouts.

The session is Flask's signed cookie (HttpOnly, SameSite=Lax, Secure on
https). Signing in clears everything the browser carried before, so nothing
planted in a pre-login session survives (no fixation), and stamps the login
and last-seen times that the timeouts are measured from.
"""

from __future__ import annotations

import time

from flask import current_app, session
from flask_login import current_user, login_user, logout_user

from authsvc.admins.models import Admin
from authsvc.admins.service import end_all_sessions, record_login

LOGIN_AT, SEEN_AT, MFA_OK = "admin_login_at", "admin_seen_at", "admin_mfa_ok"
PENDING, PENDING_AT, TENANT = "admin_pending", "admin_pending_at", "admin_tenant_id"
EPOCH = "admin_epoch"
#: How long the password step stays valid while the admin looks up their TOTP code.
PENDING_SECONDS = 300


def now() -> float:
    """The clock the timeouts use (tests move it)."""
    return time.time()


def start(admin: Admin, mfa_ok: bool) -> None:
    """Sign ``admin`` in on a brand-new session."""
    session.clear()
    login_user(admin)
    stamp = now()
    session[LOGIN_AT], session[SEEN_AT], session[MFA_OK] = stamp, stamp, mfa_ok
    session[EPOCH] = admin.session_epoch
    record_login(admin)


def begin_pending(admin: Admin) -> None:
    """Remember that the password was right while the second factor is asked for."""
    session.clear()
    session[PENDING], session[PENDING_AT] = str(admin.id), now()


def pending_admin_id() -> str | None:
    if PENDING not in session or now() - session.get(PENDING_AT, 0) > PENDING_SECONDS:
        return None
    return session[PENDING]


def expired() -> str | None:
    """Why the signed-in session is over (signed out elsewhere, idle, too old), or None."""
    if session.get(EPOCH) != current_user.session_epoch:
        return "You were signed out. Please sign in again."
    config, stamp = current_app.config, now()
    if stamp - session.get(LOGIN_AT, 0) > config["ADMIN_SESSION_MAX_SECONDS"]:
        return "Your session reached its maximum length. Please sign in again."
    if stamp - session.get(SEEN_AT, 0) > config["ADMIN_IDLE_TIMEOUT_SECONDS"]:
        return "You were signed out after a period of inactivity."
    return None


def touch() -> None:
    session[SEEN_AT] = now()


def end(everywhere: bool = False) -> None:
    """End this session; ``everywhere`` also ends the admin's sessions in other browsers.

    Sessions are signed cookies, so a copied cookie would outlive a local sign-out;
    bumping the admin's epoch makes every cookie issued before it worthless.
    """
    if everywhere and current_user.is_authenticated:
        end_all_sessions(current_user)
    logout_user()
    session.clear()
