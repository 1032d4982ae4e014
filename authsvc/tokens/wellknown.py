"""Public discovery documents per tenant: JWKS and OpenID configuration, under
``/t/<slug>/.well-known`` on the platform host and ``/.well-known`` on each of the tenant's
verified domains (an issuer of its own there)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from authsvc.applications.models import GRANT_TYPES, SCOPES
from authsvc.auth.tenant_policy import issuer
from authsvc.hosted.resolve import tenant_for_host, tenant_for_slug
from authsvc.provider.clients import CONFIDENTIAL_METHODS
from authsvc.provider.tokens import ACR_VALUES, domain_issuer
from authsvc.tokens.keys import published_jwks

AUTH_METHODS = [*CONFIDENTIAL_METHODS, "none"]
CLAIMS = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr", "acr", "name"]
CLAIMS += ["preferred_username", "picture", "updated_at", "email", "email_verified"]
bp = Blueprint("wellknown", __name__, url_prefix="/t/<slug>/.well-known")
domain_bp = Blueprint("wellknown_domain", __name__, url_prefix="/.well-known")


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
    """OpenID Provider metadata: the tenant's issuer, keys and ``/oauth2`` endpoints."""
    return _configuration(issuer(tenant_for_slug(slug).slug))


@domain_bp.get("/jwks.json")
def domain_jwks():
    """The JWKS again, on a verified domain of the tenant (404 on any other host)."""
    return _cached(jsonify(published_jwks(tenant_for_host(request.host).id)))


@domain_bp.get("/openid-configuration")
def domain_openid_configuration():
    """The metadata of the issuer on a verified domain: its endpoints on that host."""
    tenant_for_host(request.host)
    return _configuration(domain_issuer())


def _configuration(base: str):
    oauth = f"{base}/oauth2"
    return _cached(
        jsonify(
            issuer=base,
            jwks_uri=f"{base}/.well-known/jwks.json",
            authorization_endpoint=f"{oauth}/authorize",
            token_endpoint=f"{oauth}/token",
            userinfo_endpoint=f"{oauth}/userinfo",
            revocation_endpoint=f"{oauth}/revoke",
            introspection_endpoint=f"{oauth}/introspect",
            end_session_endpoint=f"{oauth}/logout",
            scopes_supported=list(SCOPES),
            response_types_supported=["code"],
            response_modes_supported=["query"],
            grant_types_supported=list(GRANT_TYPES),
            code_challenge_methods_supported=["S256"],
            token_endpoint_auth_methods_supported=AUTH_METHODS,
            revocation_endpoint_auth_methods_supported=AUTH_METHODS,
            introspection_endpoint_auth_methods_supported=list(CONFIDENTIAL_METHODS),
            prompt_values_supported=["none", "login", "consent"],
            claims_supported=CLAIMS,
            acr_values_supported=list(ACR_VALUES),
            id_token_signing_alg_values_supported=["ES256", "RS256"],
            subject_types_supported=["public"],
            claims_parameter_supported=False,
            request_parameter_supported=False,
            request_uri_parameter_supported=False,
        )
    )
