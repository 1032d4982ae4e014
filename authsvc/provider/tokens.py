"""What the provider issues: access tokens (the platform's JWTs plus ``client_id`` and
``scope``), refresh tokens (the platform's rotating ones) and the claims about a user.

authlib asks for tokens through one generator; the "user" it hands over is a
:class:`Grantee`, which the grants fill with the session they opened (for the ``sid``
claim) and the refresh token that session's family starts or continues with.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from authlib.oidc.core import UserInfo
from flask import g, request

from authsvc.auth.tenant_policy import issuer, policy_for
from authsvc.extensions import db
from authsvc.hosted import DOMAIN_NAME
from authsvc.metrics import instruments
from authsvc.tokens import jwt
from authsvc.tokens.keys import LoadedKey, active_key
from authsvc.users.reads import UserRow

ID_TOKEN_SECONDS = 3600
#: The authentication context classes an application may ask for with ``acr_values``:
#: one factor (a password or an identity provider), or two (a TOTP or recovery code too).
ACR_ONE_FACTOR = "urn:authsvc:acr:1fa"
ACR_MFA = "urn:authsvc:acr:mfa"
ACR_VALUES = (ACR_ONE_FACTOR, ACR_MFA)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Authenticated:
    """The signed-in user at the authorization endpoint: when and how they signed in."""

    user: UserRow
    auth_time: int
    amr: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Grantee:
    """The user a token is issued for, in the application's session."""

    user: UserRow
    session_id: uuid.UUID
    refresh_token: str | None = None
    #: The claims of the session's active organization (a refreshed session's choice).
    organization: dict | None = None
    #: How the user signed in (RFC 8176), recorded on the application's session.
    amr: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClientSubject:
    """The application itself, the subject of a client-credentials token (RFC 9068, 2.2)."""

    id: str
    tenant_id: uuid.UUID
    email: str = ""
    roles: tuple[str, ...] = ()


def acr_for(requested: str | None, amr: list[str]) -> str | None:
    """The ``acr`` claim for a request's ``acr_values`` (None when it named none): the
    first value asked for that the sign-in meets, else the class it did achieve. The
    request is voluntary (OpenID Connect Core 5.5.1.1): the application decides what a
    weaker class means, so the claim never states more than happened."""
    if not requested:
        return None
    achieved = ACR_MFA if "mfa" in amr else ACR_ONE_FACTOR
    met = ACR_VALUES if achieved == ACR_MFA else (ACR_ONE_FACTOR,)
    return next((value for value in requested.split() if value in met), achieved)


def domain_issuer() -> str:
    """The issuer on a tenant's verified domain: the origin the request came by (the
    domain's routes answer only on such a host, and werkzeug drops a default port)."""
    return f"{request.scheme}://{request.host.lower()}"


def request_issuer() -> str:
    """The issuer this request addresses: the tenant's verified domain it came by, or
    ``<BASE_URL>/t/<slug>``. Each is an issuer of its own, with its own discovery."""
    if request.blueprint == DOMAIN_NAME:
        return domain_issuer()
    return issuer(g.tenant.slug)


def signing_key() -> LoadedKey:
    """The bound tenant's active signing key (ID tokens are signed like access tokens)."""
    return active_key(g.tenant.id, policy_for(g.tenant).token_alg)


def generate(
    grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True
):
    """authlib's token generator: a signed access token, and the grantee's refresh token."""
    policy = policy_for(g.tenant)
    application = client.application
    if user is None:  # client_credentials: only scopes the application was allowed
        scope = client.get_allowed_scope(scope)
        subject, session_id = ClientSubject(client.client_id, g.tenant.id), None
        organization, amr = None, ()
    else:
        subject, session_id = user.user, user.session_id
        organization, amr = user.organization, user.amr
    access, ttl = jwt.issue_access_token(
        user=subject,
        session_id=session_id,
        tenant_slug=g.tenant.slug,
        policy=policy,
        client_id=client.client_id,
        scope=scope or "",
        ttl=application.access_token_ttl_seconds,
        organization=organization,
        amr=amr,
    )
    token = {"token_type": "Bearer", "access_token": access, "expires_in": ttl}
    if scope:
        token["scope"] = scope
    if include_refresh_token and user is not None and user.refresh_token:
        token["refresh_token"] = user.refresh_token
    return token


def save_token(_token: dict, request) -> None:
    """Commit what issuing the token changed: the spent code or refresh token and the
    application's session. The tokens themselves are not stored (JWTs; hashed refresh
    tokens are written by the session service). Each issuance is counted in the metrics
    and logged, by client and grant type."""
    db.session.commit()
    grant_type, client_id = request.payload.grant_type, request.client.client_id
    instruments.oauth2_token_issued(g.tenant.slug, client_id, grant_type)
    log.info("oauth2.token_issued client_id=%s grant_type=%s", client_id, grant_type)


def user_info(user: UserRow, scope: str) -> UserInfo:
    """The claims about ``user`` that ``scope`` allows (``openid profile email``)."""
    claims = {
        "sub": str(user.id),
        "name": user.display_name,
        "preferred_username": user.username,
        "picture": user.avatar_url,
        "updated_at": int(user.updated_at.timestamp()),
        "email": user.email,
        "email_verified": user.is_verified,
    }
    return UserInfo({k: v for k, v in claims.items() if v is not None}).filter(scope)
