"""authlib's grants, told where our codes, sessions and users live.

The protocol (client authentication, redirect URI and scope checks, PKCE, the
ID token's claims, refresh scope narrowing) is authlib's; these subclasses only
store and find things. Two platform rules ride on authlib's documented hooks:
PKCE with S256 is required of public clients and the only method accepted, and
a replayed code revokes the session its first exchange opened (RFC 6749, 4.1.2).
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import InvalidGrantError, InvalidRequestError, TokenMixin, grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import AuthorizationCodeMixin
from authlib.oidc.core import OpenIDCode as BaseOpenIDCode
from flask import g

from authsvc.applications.models import AuthorizationCode
from authsvc.auth.tenant_policy import policy_for
from authsvc.db import utcnow
from authsvc.errors import AuthenticationFailed
from authsvc.extensions import db
from authsvc.provider import tokens
from authsvc.sessions import service as sessions
from authsvc.sessions.models import RefreshToken, Session
from authsvc.tenancy import platform_scope
from authsvc.users.reads import read_user_row

CODE_SECONDS = 120
ALL_METHODS = ["client_secret_basic", "client_secret_post", "none"]


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class StoredCode(AuthorizationCodeMixin):
    """An unspent, unexpired code as authlib reads it."""

    def __init__(self, row: AuthorizationCode) -> None:
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self):
        return self.row.redirect_uri

    def get_scope(self):
        return self.row.scope

    def get_nonce(self):
        return self.row.nonce

    def get_auth_time(self):
        return int(self.row.auth_time.timestamp())

    def get_acr(self):
        return self.row.acr

    def get_amr(self):
        return list(self.row.amr) or None


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_METHODS

    def save_authorization_code(self, code, request):
        data, signed_in = request.payload.data, request.user
        db.session.add(
            AuthorizationCode(
                code_hash=_digest(code),
                application_id=request.client.application.id,
                user_id=signed_in.user.id,
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope or "",
                nonce=data.get("nonce"),
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                auth_time=datetime.fromtimestamp(signed_in.auth_time, UTC),
                amr=signed_in.amr,
                acr=tokens.acr_for(data.get("acr_values"), signed_in.amr),
                expires_at=utcnow() + timedelta(seconds=CODE_SECONDS),
            )
        )
        db.session.commit()

    def query_authorization_code(self, code, client):
        row = db.session.execute(
            sa.select(AuthorizationCode).where(AuthorizationCode.code_hash == _digest(code))
        ).scalar_one_or_none()
        if row is None or row.application_id != client.application.id:
            return None
        if row.used_at is not None:
            _revoke_replayed(row)
            return None
        return StoredCode(row) if row.expires_at > utcnow() else None

    def delete_authorization_code(self, authorization_code):
        """Kept, spent, until it expires: a replay must find it (see the module docstring)."""

    def authenticate_user(self, authorization_code):
        row, client = authorization_code.row, self.request.client
        spent = db.session.execute(
            sa.update(AuthorizationCode)
            .where(AuthorizationCode.id == row.id, AuthorizationCode.used_at.is_(None))
            .values(used_at=utcnow())
            .returning(AuthorizationCode.id)
        ).first()
        user = read_user_row(row.user_id)
        if spent is None or not user.is_active:
            raise InvalidGrantError("The code is not valid.")
        application, policy = client.application, policy_for(g.tenant)
        refresh = "offline_access" in row.scope.split() and client.check_grant_type("refresh_token")
        ttl = (
            application.refresh_token_ttl_seconds or policy.refresh_token_ttl_seconds
            if refresh
            else application.access_token_ttl_seconds or policy.access_token_ttl_seconds
        )
        amr = tuple(row.amr or ())
        session, raw = sessions.open_app_session(user.id, application, row.scope, ttl, refresh, amr)
        db.session.execute(
            sa.update(AuthorizationCode)
            .where(AuthorizationCode.id == row.id)
            .values(session_id=session.id)
        )
        return tokens.Grantee(user, session.id, raw, amr=amr)


def prune_codes(app) -> int:
    """Delete expired codes of every tenant (a worker job): past its expiry a replayed
    code is refused as unknown, so it no longer needs to be found."""
    with app.app_context(), platform_scope():
        result = db.session.execute(
            sa.delete(AuthorizationCode).where(AuthorizationCode.expires_at <= utcnow())
        )
        db.session.commit()
        return result.rowcount or 0


def _revoke_replayed(row: AuthorizationCode) -> None:
    if row.session_id is not None:
        session = db.session.get(Session, (row.tenant_id, row.session_id))
        if session is not None:
            sessions.revoke(session, "code_replayed", policy_for(g.tenant), actor="system")
            db.session.commit()


class StoredRefresh(TokenMixin):
    """A live refresh token of an application's session."""

    def __init__(self, raw: str, session: Session) -> None:
        self.raw, self.session = raw, session

    def check_client(self, client):
        return self.session.application_id == client.application.id

    def get_scope(self):
        return self.session.scope or ""

    def is_expired(self):
        return not self.session.active

    def is_revoked(self):
        return self.session.revoked_at is not None


class RefreshTokenGrant(grants.RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ALL_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        found = db.session.execute(
            sa.select(RefreshToken.used_at, Session)
            .join(Session, Session.id == RefreshToken.session_id)
            .where(RefreshToken.token_hash == sessions.token_hash(refresh_token))
        ).first()
        if found is None or found.Session.application_id is None:
            return None
        if found.used_at is not None:
            # A spent token presented again was copied: the platform's one reuse
            # detection (in the session service) revokes the whole family.
            with contextlib.suppress(AuthenticationFailed):
                sessions.rotate(refresh_token, found.Session.application_id)
            return None
        if not found.Session.active:
            return None
        return StoredRefresh(refresh_token, found.Session)

    def authenticate_user(self, refresh_token):
        session = refresh_token.session
        try:
            rotated = sessions.rotate(refresh_token.raw, session.application_id)
        except AuthenticationFailed:
            raise InvalidGrantError("The refresh token is not valid.") from None
        return tokens.Grantee(
            rotated.user,
            rotated.session_id,
            rotated.refresh_token,
            rotated.organization,
            rotated.amr,
        )

    def revoke_old_credential(self, refresh_token):
        """Nothing left to do: rotating spent the presented token before the next was made."""


class OpenIDCode(BaseOpenIDCode):
    """ID tokens signed with the tenant's key, for the tenant's issuer."""

    def exists_nonce(self, nonce, request):
        statement = sa.select(
            sa.exists().where(
                AuthorizationCode.nonce == nonce,
                AuthorizationCode.application_id == request.client.application.id,
            )
        )
        return bool(db.session.execute(statement).scalar())

    def resolve_client_private_key(self, client):
        return tokens.signing_key().key

    def get_client_algorithm(self, client):
        return tokens.signing_key().alg

    def get_encode_header(self, client):
        key = tokens.signing_key()
        return {"alg": key.alg, "kid": key.kid, "typ": "JWT"}

    def get_client_claims(self, client):
        now = int(time.time())
        return {
            "iss": tokens.request_issuer(),
            "aud": client.client_id,
            "iat": now,
            "exp": now + tokens.ID_TOKEN_SECONDS,
        }

    def generate_user_info(self, user, scope):
        return tokens.user_info(user.user, scope)


class S256CodeChallenge(CodeChallenge):
    """PKCE with S256 only; required of public clients already at the authorization
    request, so a code is never issued that could not be redeemed safely."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def __call__(self, grant):
        super().__call__(grant)
        grant.register_hook("after_validate_authorization_request_payload", self.require)

    def require(self, grant, redirect_uri):
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Use code_challenge_method=S256.")
        if grant.request.client.is_public and not data.get("code_challenge"):
            raise InvalidRequestError("Public clients must send a PKCE code_challenge (S256).")


class StoredValueBounds:
    """Refuse request values longer than their columns (PostgreSQL would fail the insert
    of the code), as a bad request to the client rather than an error of ours."""

    LIMITS = {"nonce": AuthorizationCode.nonce.type.length}

    def __call__(self, grant):
        grant.register_hook("after_validate_authorization_request_payload", self.check)

    def check(self, grant, redirect_uri):
        for name, limit in self.LIMITS.items():
            if len(grant.request.payload.data.get(name) or "") > limit:
                raise InvalidRequestError(f"'{name}' is longer than {limit} characters.")
