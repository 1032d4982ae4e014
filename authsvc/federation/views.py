"""Hosted pages of a federated sign-in: ``/login/<provider>`` and its callback.

They hang on the hosted-pages blueprint, so the tenant is bound from the
``/t/<slug>`` prefix (or the tenant's domain) as for every hosted page. Any
failure ends on a themed page that says what went wrong in user terms; the
detail goes to the log and an audit entry, and nothing is created.
"""

from __future__ import annotations

import logging

from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from flask import g, redirect, render_template, request
from flask import session as cookie_session
from joserfc.errors import JoseError
from requests import ConnectionError as Unreachable
from requests import RequestException, Timeout

from authsvc.audit import service as audit
from authsvc.auth import context
from authsvc.auth.tenant_policy import policy_for
from authsvc.errors import NotFound
from authsvc.extensions import db
from authsvc.federation import accounts, codes, flow, service, status
from authsvc.hosted import bp, page_url
from authsvc.hosted import session as hosted_session
from authsvc.hosted.redirects import is_own_page, safe_return_to
from authsvc.hosted.views import MFA_KEY
from authsvc.metrics import instruments
from authsvc.organizations.views import pending_invitation_page
from authsvc.sessions import service as sessions
from authsvc.tokens import jwt as tokens
from authsvc.users.reads import read_user_row

log = logging.getLogger(__name__)
RETURN_KEY = "authsvc_federation_return_to"
CHALLENGE_KEY = "authsvc_federation_code_challenge"
#: What the user is told when the provider's answer cannot be trusted or used.
FEDERATION = "federation"
UNTRUSTED = "The sign-in provider's answer could not be verified. Please try again."
EXPIRED = "This sign-in attempt has expired or was already used. Please start again."
UNREACHABLE = "The sign-in provider could not be reached. Please try again in a moment."


def _provider_error(provider) -> str:
    if request.args.get("error") == "access_denied":
        return (
            f"You cancelled the sign-in at {provider.display_name}, or did not allow it "
            "to share your details with us."
        )
    return f"{provider.display_name} did not sign you in. Please try again."


def _enabled(provider_id: str):
    """The tenant's enabled provider with this id, or None."""
    try:
        provider = service.get_provider(provider_id)
    except NotFound:
        return None
    return provider if provider.enabled else None


def _refused(message: str, code: int, provider=None, reason: str = "", failure=None, reached=False):
    """The themed error page; the detail is logged and audited, never shown. The
    provider's ``failure`` (or, ``reached``, its verified answer) goes to its status."""
    db.session.rollback()
    log.warning("federated sign-in refused: %s", reason or message)
    instruments.sign_in(g.tenant.slug, FEDERATION, "unverified" if code == 403 else "refused")
    if provider is not None:
        if failure is not None:
            status.note_failure(provider, failure)
        elif reached:
            status.note_success(provider)
        target = ("identity_provider", provider.id)
        audit.stage("identity.login_failed", "anonymous", target, {"reason": reason or message})
        db.session.commit()
    page = render_template("hosted/federation_error.html", message=message)
    return page, code


@bp.app_template_global()
def sign_in_providers() -> list:
    """The tenant's enabled providers, one button each on the hosted sign-in page."""
    return service.list_providers(enabled_only=True)


@bp.get("/login/<provider_id>")
def federation_start(provider_id: str):
    """Send the browser to the provider, with state, nonce and a PKCE challenge."""
    provider = _enabled(provider_id)
    if provider is None:
        message = "This sign-in option is not available."
        return _refused(message, 404, reason=f"no enabled provider {provider_id}")
    return_to = safe_return_to(g.tenant, request.args.get("return_to"))
    try:
        challenge = codes.check_challenge(
            request.args.get("code_challenge"), request.args.get("code_challenge_method")
        )
    except ValueError as error:
        return _refused(str(error), 400, reason=f"bad PKCE parameters: {error}")
    cookie_session[RETURN_KEY] = return_to
    cookie_session[CHALLENGE_KEY] = challenge
    callback = page_url("federation_callback", provider_id=provider_id, _external=True)
    try:
        response = flow.client_for(provider).authorize_redirect(callback)
    except (Unreachable, Timeout) as error:
        return _refused(UNREACHABLE, 502, provider, f"discovery failed: {error!r}", error)
    except (AuthlibBaseError, RequestException, ValueError) as error:
        return _refused(UNTRUSTED, 502, provider, f"discovery failed: {error!r}", error)
    db.session.commit()  # the provider's status, when its discovery document was fetched
    return response


@bp.get("/login/<provider_id>/callback")
def federation_callback(provider_id: str):
    """Verify the provider's answer, find or create the user, and sign them in."""
    provider = _enabled(provider_id)
    if provider is None:
        message = "This sign-in link is not valid here."
        return _refused(message, 404, reason=f"no enabled provider {provider_id}")
    if request.args.get("error"):
        reason = f"provider error {request.args['error']}: {request.args.get('error_description')}"
        return _refused(_provider_error(provider), 400, provider, reason)
    try:
        client = flow.client_for(provider, with_keys=True)
        token = client.authorize_access_token(claims_options=flow.claims_options(provider))
        claims = flow.claims_of(provider, client, token)
    except MismatchingStateError as error:
        return _refused(EXPIRED, 400, provider, repr(error))
    except (Unreachable, Timeout) as error:
        return _refused(UNREACHABLE, 502, provider, repr(error), error)
    except (JoseError, RequestException, ValueError, KeyError) as error:
        # Answers that are not JSON, HTTP errors, unverifiable ID tokens: the provider
        # is there, but what it said is unusable.
        return _refused(UNTRUSTED, 400, provider, repr(error), error)
    except AuthlibBaseError as error:
        # authlib's protocol errors (a missing code included) come from the request.
        return _refused(UNTRUSTED, 400, provider, repr(error))
    status.note_success(provider)
    try:
        user = accounts.resolve_user(provider, claims)
    except accounts.FederationRefused as error:
        return _refused(error.detail, 400, provider, error.detail, reached=True)
    return _signed_in(user, provider, accounts.sign_in_amr(provider, claims))


def _signed_in(user, provider, amr: tuple[str, ...]):
    """Back to the app with a one-time code when it sent ``return_to``; otherwise (or
    when ``return_to`` is our own page: a pending OAuth authorization) continue like a
    password sign-in: MFA if the user has TOTP (unless the trusted provider did MFA, as
    ``amr`` says), else a hosted session."""
    rules = policy_for(g.tenant)
    # Checked again: the tenant may have removed the URL since the sign-in started.
    return_to = safe_return_to(g.tenant, cookie_session.pop(RETURN_KEY, None))
    challenge = cookie_session.pop(CHALLENGE_KEY, None)
    if not user.is_verified and not rules.allow_unverified_login:
        message = "Verify your email address before signing in."
        return _refused(message, 403, reason=f"unverified user {user.id}")
    if return_to and not is_own_page(return_to):
        # The app finishes the sign-in (MFA included) through POST /auth/exchange.
        raw = codes.issue_code(user, provider, amr, challenge)
        db.session.commit()
        return redirect(codes.with_code(return_to, raw), code=303)
    db.session.flush()
    row = read_user_row(user.id)
    if accounts.needs_totp(user, amr):
        db.session.commit()
        device = {"name": None, "id": None}
        token = tokens.issue_mfa_token(
            user=row,
            tenant_slug=g.tenant.slug,
            policy=rules,
            device=device,
            via=provider.kind,
            amr=amr,
        )
        pending = {"tenant": str(g.tenant.id), "token": token, "return_to": return_to}
        cookie_session[MFA_KEY] = pending
        instruments.sign_in(g.tenant.slug, FEDERATION, "mfa_required")
        return redirect(page_url("mfa"), code=303)
    ctx = context.from_request()
    device_session, _refresh = sessions.start_session(row, ctx, rules, provider.kind, amr)
    db.session.commit()
    instruments.sign_in(g.tenant.slug, FEDERATION, "success")
    # Back to our own page that sent the browser here (a pending OAuth authorization).
    landing = return_to or pending_invitation_page() or page_url("account")
    response = redirect(landing, code=303)
    return hosted_session.start(response, device_session.id)
