"""authsvc as an OAuth 2.0 authorization server and OpenID Provider, per tenant.

Rationale: one authlib ``AuthorizationServer`` per app does the protocol; the
tenant comes from the URL, as for every hosted page (``/t/<slug>/oauth2/...``
or the tenant's own domain), and every lookup the server makes (clients,
codes, refresh tokens) runs under that binding, so each tenant is its own
provider with its own issuer, signing keys and clients.
"""

from __future__ import annotations

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants as base_grants
from flask import Flask, current_app

EXTENSION = "authsvc.provider"
CODES_PRUNE_INTERVAL_SECONDS = 3600


def _build(app: Flask) -> AuthorizationServer:
    from authsvc.provider import endpoints, grants, tokens
    from authsvc.provider.clients import query_client

    server = AuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=tokens.save_token)
    # No server-wide scope list: each application's allowed scopes filter a request, and
    # scopes it may not have are dropped rather than refused (OpenID Connect Core 3.1.2.1).
    server.register_token_generator("default", tokens.generate)
    server.register_grant(
        grants.AuthorizationCodeGrant,
        [
            grants.StoredValueBounds(),
            grants.S256CodeChallenge(required=True),
            grants.OpenIDCode(require_nonce=False),
        ],
    )
    server.register_grant(grants.RefreshTokenGrant)
    server.register_grant(base_grants.ClientCredentialsGrant)
    server.register_endpoint(endpoints.RevocationEndpoint)
    server.register_endpoint(endpoints.IntrospectionEndpoint)
    server.register_endpoint(endpoints.EndSessionEndpoint)
    protector = ResourceProtector()
    protector.register_token_validator(endpoints.AccessTokenValidator())
    server.register_endpoint(endpoints.UserInfoEndpoint(resource_protector=protector))
    return server


def authorization_server() -> AuthorizationServer:
    return current_app.extensions[EXTENSION]


def init_app(app: Flask) -> None:
    """Build the app's server and register the job that prunes expired codes; the routes
    hang on the hosted-pages blueprint (:mod:`authsvc.provider.views`, registered by
    :mod:`authsvc.hosted`)."""
    from authsvc.jobs import register_job
    from authsvc.provider.grants import prune_codes

    register_job(app, "provider.codes_prune", prune_codes, CODES_PRUNE_INTERVAL_SECONDS)
    app.extensions[EXTENSION] = _build(app)
