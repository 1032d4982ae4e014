"""Public discovery documents per tenant: JWKS and OpenID configuration."""

from __future__ import annotations

from flask import Blueprint, jsonify

from authsvc.auth.tenant_policy import issuer
from authsvc.hosted.resolve import tenant_for_slug
from authsvc.tokens.keys import published_jwks

bp = Blueprint("wellknown", __name__, url_prefix="/t/<slug>/.well-known")


def _cached(response, seconds: int = 300):
    response.headers["Cache-Control"] = f"public, max-age={seconds}"
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/jwks.json")
def jwks(slug: str):
    """The tenant's public signing keys, including retired keys still in their window."""
    return _cached(jsonify(published_jwks(tenant_for_slug(slug).id)))


@bp.get("/openid-configuration")
def openid_configuration(slug: str):
    tenant = tenant_for_slug(slug)
    base = issuer(tenant.slug)
    api = base.rsplit("/t/", 1)[0] + "/api/v1"
    return _cached(
        jsonify(
            issuer=base,
            jwks_uri=f"{base}/.well-known/jwks.json",
            token_endpoint=f"{api}/auth/login",
            userinfo_endpoint=f"{api}/me",
            revocation_endpoint=f"{api}/auth/logout",
            id_token_signing_alg_values_supported=["ES256", "RS256"],
            subject_types_supported=["public"],
            response_types_supported=["token"],
        )
    )
