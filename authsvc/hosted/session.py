"""The end user's hosted-pages session: a signed cookie naming a device session.

After a hosted sign-in the cookie holds the device session id (signed with the
app's secret key, so it cannot be forged or moved to another tenant). It is
HttpOnly, SameSite=Lax, Secure over https, and scoped to the tenant's pages
(``/t/<slug>/``, or ``/`` on the tenant's own domain). Every use checks that
the device session is still active, so revoking it (logout, password reset,
admin force-logout) ends the hosted session too.
"""

from __future__ import annotations

from flask import Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeTimedSerializer

from authsvc.auth.tenant_policy import policy_for
from authsvc.errors import NotFound
from authsvc.sessions import service as sessions
from authsvc.sessions.models import Session
from authsvc.users.models import User
from authsvc.users.service import get_user

COOKIE = "authsvc_hosted"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="authsvc.hosted-session")


def cookie_path() -> str:
    return "/" if request.blueprint == "hosted_domain" else f"/t/{g.tenant.slug}/"


def start(response: Response, session_id) -> Response:
    """Attach the session cookie for a fresh device session to ``response``."""
    max_age = policy_for(g.tenant).refresh_token_ttl_seconds
    value = _serializer().dumps({"sid": str(session_id), "tid": str(g.tenant.id)})
    response.set_cookie(
        COOKIE,
        value,
        max_age=max_age,
        path=cookie_path(),
        secure=current_app.config["SESSION_COOKIE_SECURE"] or request.is_secure,
        httponly=True,
        samesite="Lax",
    )
    return response


def end(response: Response) -> Response:
    response.delete_cookie(COOKIE, path=cookie_path(), httponly=True, samesite="Lax")
    return response


def current() -> tuple[Session, User] | None:
    """The active device session and user of this browser for this tenant, or None."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    max_age = policy_for(g.tenant).refresh_token_ttl_seconds
    try:
        data = _serializer().loads(raw, max_age=max_age)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("tid") != str(g.tenant.id):
        return None
    try:
        session = sessions.get_session(data.get("sid"))
    except NotFound:
        return None
    if not session.active:
        return None
    try:
        return session, get_user(session.user_id)
    except NotFound:  # the user was deleted since
        return None
