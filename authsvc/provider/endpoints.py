"""authlib's token endpoints (revocation, introspection, userinfo, RP-initiated logout),
told how to find a token of the bound tenant.

A token is either one of our access tokens (a JWT that names an application) or an
application session's refresh token. Revoking an access token denylists its ``jti``;
revoking a refresh token ends its session, and with it the session's access tokens.
Introspection is open to the tenant's confidential applications only.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import TokenMixin
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint as BaseRevocation
from authlib.oauth2.rfc7662 import IntrospectionEndpoint as BaseIntrospection
from authlib.oidc.core import UserInfoEndpoint as BaseUserInfo
from authlib.oidc.rpinitiated import EndSessionEndpoint as BaseEndSession
from flask import g

from authsvc.applications.models import Application
from authsvc.auth.tenant_policy import policy_for
from authsvc.db import utcnow
from authsvc.errors import AuthenticationFailed
from authsvc.extensions import db
from authsvc.hosted import session as hosted_session
from authsvc.provider import tokens
from authsvc.provider.clients import CONFIDENTIAL_METHODS
from authsvc.sessions import service as sessions
from authsvc.sessions.models import RefreshToken, Session
from authsvc.tokens import denylist
from authsvc.tokens.jwt import AccessClaims, verify_access_token
from authsvc.tokens.keys import published_jwks
from authsvc.users.reads import read_user_row

ALL_METHODS = [*CONFIDENTIAL_METHODS, "none"]


class IssuedToken(TokenMixin):
    """An access or refresh token the bound tenant issued to an application."""

    def __init__(self, kind: str, client_id: str, scope: str, sub: str, exp: int, **extra):
        self.kind, self.client_id, self.scope = kind, client_id, scope
        self.sub, self.exp = sub, exp
        self.claims: AccessClaims | None = extra.get("claims")
        self.session: Session | None = extra.get("session")
        self.revoked = bool(extra.get("revoked"))

    def check_client(self, client):
        return client.client_id == self.client_id

    def get_scope(self):
        return self.scope

    def get_expires_in(self):
        return max(self.exp - int(utcnow().timestamp()), 0)

    def is_expired(self):
        return self.get_expires_in() <= 0

    def is_revoked(self):
        return self.revoked

    def get_user(self):
        return read_user_row(self.sub)

    def get_client(self):
        from authsvc.provider.clients import query_client

        return query_client(self.client_id)


def access_token(raw: str) -> IssuedToken | None:
    """An application's access token of the bound tenant, or None."""
    try:
        claims = verify_access_token(raw)
    except AuthenticationFailed:
        return None
    if claims.tid != g.tenant.id or not claims.client_id:
        return None
    revoked = denylist.token_denied(claims)
    return IssuedToken(
        "access_token",
        claims.client_id,
        claims.scope or "",
        claims.sub,
        claims.exp,
        claims=claims,
        revoked=revoked,
    )


def refresh_token(raw: str) -> IssuedToken | None:
    """An unspent refresh token of an application's live session, or None."""
    found = db.session.execute(
        sa.select(Session, Application.client_id)
        .join(RefreshToken, RefreshToken.session_id == Session.id)
        .join(Application, Application.id == Session.application_id)
        .where(RefreshToken.token_hash == sessions.token_hash(raw), RefreshToken.used_at.is_(None))
    ).first()
    if found is None or not found.Session.active:
        return None
    session = found.Session
    expires = int(session.expires_at.timestamp())
    scope = session.scope or ""
    return IssuedToken(
        "refresh_token", found.client_id, scope, str(session.user_id), expires, session=session
    )


def find_token(raw: str, hint: str | None) -> IssuedToken | None:
    first, second = (refresh_token, access_token)
    if hint == "access_token" or raw.count(".") == 2:
        first, second = second, first
    return first(raw) or second(raw)


class RevocationEndpoint(BaseRevocation):
    CLIENT_AUTH_METHODS = ALL_METHODS

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def revoke_token(self, token, request):
        if token.session is not None:
            reason = "revoked_by_application"
            sessions.revoke(token.session, reason, policy_for(g.tenant), actor="system")
        else:
            until = utcnow() + timedelta(seconds=token.get_expires_in() + 60)
            denylist.deny([uuid.UUID(token.claims.jti)], until)
        db.session.commit()


class IntrospectionEndpoint(BaseIntrospection):
    CLIENT_AUTH_METHODS = list(CONFIDENTIAL_METHODS)

    def query_token(self, token_string, token_type_hint):
        return find_token(token_string, token_type_hint)

    def check_permission(self, token, client, request):
        # Resource servers are the tenant's confidential applications: any of them may
        # ask about the tenant's tokens (another tenant's are never found here).
        return not client.is_public

    def introspect_token(self, token):
        return {
            "active": True,
            "client_id": token.client_id,
            "token_type": "Bearer" if token.kind == "access_token" else "refresh_token",
            "scope": token.scope,
            "sub": token.sub,
            "exp": token.exp,
            "iss": tokens.request_issuer(),
        }


class AccessTokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string):
        return access_token(token_string)


class UserInfoEndpoint(BaseUserInfo):
    def get_issuer(self):
        return tokens.request_issuer()

    def generate_user_info(self, user, scope):
        return tokens.user_info(user, scope)


class EndSessionEndpoint(BaseEndSession):
    """Ends the browser's hosted session; the view clears its cookie."""

    def get_server_jwks(self):
        return published_jwks(g.tenant.id)

    def end_session(self, end_session_request):
        current = hosted_session.current()
        if current is None:
            return
        device_session, user = current
        claims = end_session_request.id_token_claims or {}
        if claims.get("sub") not in (None, str(user.id)):
            return  # a hint about someone else: leave this browser's session alone
        reason = "rp_logout"
        sessions.revoke(device_session, reason, policy_for(g.tenant), actor=f"user:{user.id}")
        db.session.commit()
