"""Bearer access-token authentication for ``/me`` and ``/auth/validate``.

The token names its tenant; the tenant is bound from it (once per request).
When an API key is sent as well, it must belong to the same tenant.
"""

from __future__ import annotations

from functools import wraps

from flask import g, request

from authsvc.apikeys.authentication import current_principal
from authsvc.errors import AuthenticationFailed
from authsvc.tenancy import bind_request_tenant
from authsvc.tokens import denylist
from authsvc.tokens.jwt import AccessClaims, verify_access_token


def bearer_token() -> str | None:
    """The token of this request's ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def current_claims() -> AccessClaims:
    """The verified, unrevoked access token of this request (memoised)."""
    if "claims" in g:
        return g.claims
    raw = bearer_token()
    if raw is None:
        raise AuthenticationFailed("Send an access token: Authorization: Bearer <token>.", "Bearer")
    claims = verify_access_token(raw)
    principal = current_principal(required=False)
    if principal is not None and principal.tenant_id != claims.tid:
        raise AuthenticationFailed(
            "The token and the API key belong to different tenants.", "Bearer"
        )
    bind_request_tenant(claims.tid)
    if denylist.token_denied(claims):
        raise AuthenticationFailed("The token has been revoked.", scheme="Bearer")
    g.claims = claims
    return claims


def require_token(view):
    """Decorator: the method needs a valid Bearer access token."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        current_claims()
        return view(*args, **kwargs)

    wrapper.__apidoc__ = {**getattr(view, "__apidoc__", {}), "security": [{"bearer": []}]}
    return wrapper
