"""Access tokens (JWT, RFC 9068 profile) and short-lived MFA tokens.

Signing: the tenant's active key (ES256 by default, RS256 with 3072-bit keys
on request), ``kid`` in the header. Verification trusts nothing in the token
before the signature checks out: the key is found by ``kid``, only that key's
own algorithm is accepted (no ``none``, no algorithm confusion), and ``iss``,
``aud``, ``exp`` and the token type are checked against the key's tenant.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError

from authsvc import cache, signals
from authsvc.auth.tenant_policy import AuthPolicy, TenantAuth, audience, issuer, tenant_auth_of
from authsvc.cache import caches
from authsvc.errors import AuthenticationFailed
from authsvc.tokens import keys

ACCESS_TYPE = "at+jwt"
MFA_TYPE = "mfa+jwt"
MFA_TOKEN_SECONDS = 300
LEEWAY_SECONDS = 5
VERIFIED = "tokens.verified"


@dataclass(frozen=True)
class AccessClaims:
    """A verified access token."""

    sub: str
    tid: uuid.UUID
    tenant_slug: str
    sid: str
    jti: str
    exp: int
    email: str
    roles: list[str]
    # The active organization's claims (absent from tokens of sessions without one).
    org_id: str | None = None
    org_slug: str | None = None
    org_roles: tuple[str, ...] = ()
    org_permissions: tuple[str, ...] = ()
    #: Set on tokens an OAuth application obtained (``/t/<slug>/oauth2/token``).
    client_id: str | None = None
    scope: str | None = None
    #: How the user signed in (RFC 8176), e.g. ``("pwd",)`` or ``("fed", "mfa")``.
    amr: tuple[str, ...] = ()


def _sign(header_type: str, claims: dict, tenant_id: uuid.UUID, policy: AuthPolicy) -> str:
    key = keys.active_key(tenant_id, policy.token_alg)
    header = {"alg": key.alg, "kid": key.kid, "typ": header_type}
    return jwt.encode(header, claims, key.key, algorithms=[key.alg])


def issue_access_token(
    *,
    user,
    session_id: uuid.UUID | None,
    tenant_slug: str,
    policy: AuthPolicy,
    client_id: str | None = None,
    scope: str | None = None,
    ttl: int | None = None,
    organization: Mapping[str, Any] | None = None,
    amr: Sequence[str] = (),
) -> tuple[str, int]:
    """Sign an access token for ``user`` in session ``session_id``; returns (token, ttl).

    An OAuth application's token also names the application (``client_id``) and the
    granted ``scope``, and may live ``ttl`` seconds instead of the policy's lifetime;
    a client-credentials token has no session. ``organization`` holds the claims of the
    session's active organization, which the caller read with the user
    (:mod:`authsvc.organizations.claims`): issuing a token runs no query for them.
    """
    now = int(time.time())
    ttl = ttl or policy.access_token_ttl_seconds
    claims = {
        "iss": issuer(tenant_slug),
        "sub": str(user.id),
        "aud": audience(tenant_slug, policy),
        "exp": now + ttl,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "tid": str(user.tenant_id),
        "sid": str(session_id),
        "email": user.email,
        "roles": user.roles,
    }
    claims.update(organization or {})
    extra = {"client_id": client_id, "scope": scope, "amr": list(amr) or None}
    claims.update({name: value for name, value in extra.items() if value is not None})
    if session_id is None:
        del claims["sid"]
    return _sign(ACCESS_TYPE, claims, user.tenant_id, policy), ttl


def issue_mfa_token(
    *,
    user,
    tenant_slug: str,
    policy: AuthPolicy,
    device: dict,
    via: str = "password",
    amr: Sequence[str] = ("pwd",),
) -> str:
    """A 5-minute token proving the first step (``via`` a password or a provider, as
    ``amr`` says); only ``POST /auth/mfa`` accepts it."""
    now = int(time.time())
    claims = {
        "iss": issuer(tenant_slug),
        "sub": str(user.id),
        "aud": "authsvc:mfa",
        "exp": now + MFA_TOKEN_SECONDS,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "tid": str(user.tenant_id),
        "dev": device,
        "via": via,
        "amr": list(amr),
    }
    return _sign(MFA_TYPE, claims, user.tenant_id, policy)


def _decode(token: str, expected_type: str) -> tuple[object, TenantAuth]:
    """Verify signature, algorithm and type; returns (token, the key's tenant)."""
    try:
        header = jws.extract_compact(token.encode()).headers()
    except (JoseError, ValueError, UnicodeError):
        raise AuthenticationFailed("The token is malformed.", scheme="Bearer") from None
    key = keys.public_key(str(header.get("kid", "")))
    if key is None or header.get("alg") != key.alg or header.get("typ") != expected_type:
        raise AuthenticationFailed("The token is not valid.", scheme="Bearer")
    try:
        decoded = jwt.decode(token, key.key, algorithms=[key.alg])
    except (JoseError, ValueError):
        raise AuthenticationFailed("The token is not valid.", scheme="Bearer") from None
    tenant = tenant_auth_of(key.tenant_id)
    if tenant is None or not tenant.active:
        raise AuthenticationFailed("The token's tenant is inactive.", scheme="Bearer")
    return decoded, tenant


def _validate_claims(claims: dict, tenant: TenantAuth, aud: str) -> None:
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": issuer(tenant.slug)},
        aud={"essential": True, "value": aud},
        exp={"essential": True},
        sub={"essential": True},
        jti={"essential": True},
        tid={"essential": True, "value": str(tenant.id)},
    )
    try:
        registry.validate(claims)
    except JoseError as exc:
        reason = "has expired" if "expired" in str(exc).lower() else "is not valid"
        raise AuthenticationFailed(f"The token {reason}.", scheme="Bearer") from None


def verify_access_token(token: str) -> AccessClaims:
    """Check an access token completely (signature, type, issuer, audience, expiry).

    A reverse proxy presents the same token on every request it forwards, so a
    verified token is remembered (the ``tokens.verified`` cache, never past its
    expiry; emptied when a tenant changes). Revocation is not cached here:
    callers check the denylist on every request.
    """
    verified = caches[VERIFIED]
    claims = verified.get_or_load(token, lambda: _verify_uncached(token))
    if claims.exp <= time.time():
        verified.invalidate(token)
        claims = _verify_uncached(token)  # refused, unless within the leeway
    return claims


def _verify_uncached(token: str) -> AccessClaims:
    decoded, tenant = _decode(token, ACCESS_TYPE)
    claims = decoded.claims
    _validate_claims(claims, tenant, audience(tenant.slug, tenant.policy))
    return AccessClaims(
        sub=claims["sub"],
        tid=tenant.id,
        tenant_slug=tenant.slug,
        sid=str(claims.get("sid", "")),
        jti=claims["jti"],
        exp=int(claims["exp"]),
        email=str(claims.get("email", "")),
        roles=list(claims.get("roles", [])),
        org_id=claims.get("org_id"),
        org_slug=claims.get("org_slug"),
        org_roles=tuple(claims.get("org_roles", ())),
        org_permissions=tuple(claims.get("org_permissions", ())),
        client_id=claims.get("client_id"),
        scope=claims.get("scope"),
        amr=tuple(claims.get("amr", ())),
    )


def verify_mfa_token(token: str) -> dict:
    decoded, tenant = _decode(token, MFA_TYPE)
    _validate_claims(decoded.claims, tenant, "authsvc:mfa")
    return decoded.claims


def _forget_verified(_sender, tenant_id) -> None:
    # Claims were checked against the tenant's slug, audience and state: check again.
    caches.clear(VERIFIED)


def init_app(app) -> None:
    cache.register(app, VERIFIED, "CACHE_TTL_SECONDS", maxsize=20_000)
    signals.tenant_changed.connect(_forget_verified)
