"""The provider's endpoints under ``/t/<slug>/oauth2/`` (on the hosted-pages blueprint, so
the tenant is bound from the prefix or domain).

``authorize`` sends a browser without a (recent enough) session through the hosted
sign-in and MFA pages and back, asks for consent unless the application is first-party
or the user said yes before, and lets authlib answer. An error found before the client
and its redirect URI are known is shown on our page, never redirected.
"""

from __future__ import annotations

import time
from functools import wraps
from urllib.parse import urlencode

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import scope_to_list
from authlib.oidc.core.errors import ConsentRequiredError, LoginRequiredError
from flask import g, make_response, redirect, render_template, request
from flask import session as cookie_session
from werkzeug.exceptions import HTTPException

from authsvc.applications import consents
from authsvc.extensions import csrf
from authsvc.hosted import bp, forms, page_url
from authsvc.hosted import session as hosted_session
from authsvc.hosted.redirects import redirect_origins
from authsvc.provider import authorization_server
from authsvc.provider.cors import allow_spa_origin
from authsvc.provider.tokens import Authenticated
from authsvc.security_headers import allow_form_targets
from authsvc.tenants.urls import origins_of
from authsvc.users.reads import read_user_row

PENDING = "authsvc_oauth_pending"
SCOPE_TEXT = {
    "openid": "Know who you are (your account id)",
    "profile": "See your name, username and picture",
    "email": "See your email address",
    "offline_access": "Stay signed in when you are not using it",
}


def _signed_in() -> Authenticated | None:
    current = hosted_session.current()
    if current is None:
        return None
    device_session, user = current
    # The methods the sign-in recorded; none for a session older than that record.
    amr = list(device_session.amr or ())
    auth_time = int(device_session.created_at.timestamp())
    return Authenticated(read_user_row(user.id), auth_time, amr)


def _too_old(signed_in: Authenticated | None, max_age: str | None) -> bool:
    if signed_in is None or max_age is None or not max_age.isdigit():
        return False
    return time.time() - signed_in.auth_time > int(max_age)


def _error(server, error: OAuth2Error):
    """To the client when its redirect URI is known and checked, else our own page."""
    if error.redirect_uri:
        return server.handle_error_response(None, error)
    message = error.description or "The request is not valid."
    return render_template("hosted/oauth_error.html", message=message), 400


def _allow_forms_to_reach(redirect_uri: str) -> None:
    """The sign-in, MFA and consent forms end in a redirect to the application, which
    CSP ``form-action`` must allow besides the tenant's own redirect URLs."""
    allow_form_targets([*redirect_origins(g.tenant), *origins_of([redirect_uri])])


@bp.before_request
def _pending_application_receives_forms() -> None:
    pending = cookie_session.get(PENDING)
    if pending and "tenant" in g and pending.get("tenant") == str(g.tenant.id):
        _allow_forms_to_reach(pending["redirect_uri"])


def _to_login(grant, login_hint: str | None):
    """Sign in first; the pending request is kept (without the prompt and max_age that
    sent the browser here, which the fresh sign-in satisfies) and resumed after."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("prompt", "max_age")]
    cookie_session[PENDING] = {
        "tenant": str(g.tenant.id),
        "query": urlencode(kept),
        "redirect_uri": grant.redirect_uri,
    }
    values = {"return_to": page_url("oauth2_resume")}
    if login_hint:
        values["login_hint"] = login_hint
    return redirect(page_url("login", **values), code=303)


@bp.get("/oauth2/authorize/resume")
def oauth2_resume():
    """Back from the sign-in pages: continue the authorization request that sent us there."""
    pending = cookie_session.pop(PENDING, None)
    if not pending or pending.get("tenant") != str(g.tenant.id):
        return redirect(page_url("signed_in"), code=303)
    return redirect(f"{page_url('oauth2_authorize')}?{pending['query']}", code=303)


@bp.route("/oauth2/authorize", methods=["GET", "POST"])
def oauth2_authorize():
    """The authorization endpoint (code flow, PKCE, ``prompt``, ``max_age``, ``login_hint``)."""
    server = authorization_server()
    signed_in = _signed_in()
    prompts = set(request.args.get("prompt", "").split())
    stale = "login" in prompts or _too_old(signed_in, request.args.get("max_age"))
    if signed_in is not None and stale and request.method == "GET":
        signed_in = None  # sign in again; the resumed request no longer asks for it
    try:
        grant = server.get_consent_grant(end_user=signed_in)
        if signed_in is None and "none" in prompts:
            raise LoginRequiredError(redirect_uri=grant.redirect_uri)
    except OAuth2Error as error:
        error.state = request.args.get("state")
        return _error(server, error)
    if signed_in is None:
        return _to_login(grant, request.args.get("login_hint"))
    return _decide(server, grant, signed_in, prompts)


def _decide(server, grant, signed_in: Authenticated, prompts: set[str]):
    _allow_forms_to_reach(grant.redirect_uri)
    application = grant.client.application
    scopes = scope_to_list(grant.request.scope) or []
    known = application.first_party or consents.covers(signed_in.user.id, application, scopes)
    form = forms.ConsentForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return _consent_page(form, application, scopes, signed_in, 422)
        if form.deny.data:
            return server.create_authorization_response(grant=grant, grant_user=None)
        if form.remember.data:
            consents.remember(signed_in.user.id, application, scopes)
        return server.create_authorization_response(grant=grant, grant_user=signed_in)
    if known and "consent" not in prompts:
        return server.create_authorization_response(grant=grant, grant_user=signed_in)
    if "none" in prompts:
        error = ConsentRequiredError(redirect_uri=grant.redirect_uri)
        error.state = request.args.get("state")
        return _error(server, error)
    return _consent_page(form, application, scopes, signed_in)


def _consent_page(form, application, scopes, signed_in: Authenticated, status: int = 200):
    listed = [{"name": s, "text": SCOPE_TEXT.get(s, s)} for s in scopes]
    page = render_template(
        "hosted/consent.html",
        form=form,
        application=application,
        scopes=listed,
        user=signed_in.user,
        action=request.script_root + request.full_path,
    )
    return page, status, {"Cache-Control": "no-store"}


def _protocol_errors(view):
    """Answer an error authlib raises before its own handling starts (a request over
    plain http from a non-loopback host: ``insecure_transport``) as an OAuth error."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except OAuth2Error as error:
            return authorization_server().handle_error_response(None, error)

    return wrapper


@bp.route("/oauth2/token", methods=["POST", "OPTIONS"])
@csrf.exempt
@_protocol_errors
def oauth2_token():
    """The token endpoint; browsers' preflights get an empty answer with the CORS grant."""
    if request.method == "OPTIONS":
        return allow_spa_origin(make_response("", 204))
    return allow_spa_origin(authorization_server().create_token_response())


@bp.route("/oauth2/userinfo", methods=["GET", "POST", "OPTIONS"])
@csrf.exempt
@_protocol_errors
def oauth2_userinfo():
    if request.method == "OPTIONS":
        return allow_spa_origin(make_response("", 204))
    try:
        response = authorization_server().create_endpoint_response("userinfo")
    except HTTPException as refused:  # authlib's RFC 6750 answer, WWW-Authenticate included
        response = refused.get_response()
    return allow_spa_origin(make_response(response))


@bp.route("/oauth2/revoke", methods=["POST", "OPTIONS"])
@csrf.exempt
@_protocol_errors
def oauth2_revoke():
    if request.method == "OPTIONS":
        return allow_spa_origin(make_response("", 204))
    return allow_spa_origin(authorization_server().create_endpoint_response("revocation"))


@bp.post("/oauth2/introspect")
@csrf.exempt
@_protocol_errors
def oauth2_introspect():
    return authorization_server().create_endpoint_response("introspection")


@bp.route("/oauth2/logout", methods=["GET", "POST"])
@csrf.exempt
@_protocol_errors
def oauth2_logout():
    """RP-initiated logout: with a valid ``id_token_hint`` at once (and back to a registered
    ``post_logout_redirect_uri``); without one, the hosted sign-out page asks first."""
    server = authorization_server()
    try:
        validated = server.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        return render_template("hosted/oauth_error.html", message=error.description), 400
    if validated.needs_confirmation:
        return redirect(page_url("logout"), code=303)
    response = server.create_endpoint_response("end_session", validated)
    if response is None:
        response = server.handle_response(200, render_template("hosted/signed_out.html"), {})
    return hosted_session.end(response)
