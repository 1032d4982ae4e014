"""The OAuth 2.0 / OpenID Connect client side of a federated sign-in, on authlib's Flask client.

Rationale: authlib does the protocol (``state``, ``nonce``, PKCE S256, the code
exchange, and the ID token's signature, ``iss``, ``aud``, ``exp`` and ``nonce``
checks against the provider's discovery document and JWKS). Each tenant's
provider is registered with authlib under a name carrying the tenant, the
provider and its last change, so a changed provider gets a fresh client and
a state saved for one tenant's provider is never found by another's callback.
The discovery document and JWKS come from :mod:`authsvc.federation.discovery`.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlsplit

from authlib.integrations.flask_client import FlaskIntegration, FlaskOAuth2App
from flask import Flask, current_app, url_for

from authsvc.extensions import db
from authsvc.federation import discovery, github, service
from authsvc.federation.models import IdentityProvider
from authsvc.hosted import DOMAIN_NAME
from authsvc.tenants.domains import domain_states
from authsvc.tenants.models import VERIFIED, Tenant

#: Google's ID tokens may name their issuer without the scheme.
GOOGLE_BARE_ISSUER = "accounts.google.com"


def init_app(app: Flask) -> None:
    discovery.init_app(app)


def client_for(provider: IdentityProvider, with_keys: bool = False) -> FlaskOAuth2App:
    """authlib's client for this version of the provider, with its server metadata from
    the cache (``with_keys``: the JWKS too, to verify an ID token).

    A fresh client per use, named as before: authlib keeps a sign-in's state in the
    browser session under the client's name, so the name (tenant, provider, last
    change) is what ties a callback to its start, not the client object.
    """
    name = f"{provider.tenant_id}:{provider.id}:{provider.updated_at.timestamp()}"
    client_kwargs = {
        "scope": " ".join(provider.scopes),
        "code_challenge_method": "S256",
        # A provider that hangs must not hold a worker: every call to it has a deadline.
        "default_timeout": current_app.config["FEDERATION_HTTP_TIMEOUT_SECONDS"],
    }
    if provider.kind == "github":
        endpoints = github.registration(provider.issuer)
        client_kwargs["token_endpoint_auth_method"] = github.TOKEN_ENDPOINT_AUTH
    else:
        # authlib reads the endpoints and keys from these keyword arguments.
        endpoints = discovery.server_metadata(provider, with_keys)
    return FlaskOAuth2App(
        FlaskIntegration(name),
        name,
        client_id=provider.client_id,
        client_secret=service.client_secret(provider),
        client_kwargs=client_kwargs,
        **endpoints,
    )


def claims_of(provider: IdentityProvider, client, token: dict) -> dict[str, Any]:
    """Who the provider says signed in: the verified ID token's claims, or GitHub's API."""
    if provider.kind == "github":
        return github.claims(client, token)
    return dict(token.get("userinfo") or {})


def claims_options(provider: IdentityProvider) -> dict[str, Any]:
    """The ID token's ``iss`` rule: exactly the configured issuer.

    authlib's default compares ``iss`` with the discovery document's
    ``issuer``, which is only as good as the host that served the document;
    the configured issuer is what the tenant trusts (with or without a
    trailing slash, which the stored issuer drops). Google also signs with
    the bare ``accounts.google.com``. Entra ID's multi-tenant endpoints
    (``common``, ``organizations``, ``consumers``) publish an issuer template
    with ``{tenantid}``: ``iss`` must be that template filled with the token's
    own ``tid``, never any string at all.
    """
    directory = provider.issuer.rsplit("/", 2)[-2] if provider.kind == "microsoft" else None
    if directory in service.MICROSOFT_MULTI_TENANT:
        return {"iss": {"essential": True, "validate": _issued_by_own_directory}}
    # The stored issuer has no trailing slash; some providers (Auth0) sign with one.
    accepted = [provider.issuer, provider.issuer + "/"]
    if provider.kind == "google":
        accepted.append(GOOGLE_BARE_ISSUER)
    return {"iss": {"essential": True, "values": accepted}}


def _issued_by_own_directory(claims, value) -> bool:
    try:
        tid = uuid.UUID(str(claims.get("tid")))
    except ValueError:
        return False
    return value == service.MICROSOFT_ISSUER.format(directory=tid)


def callback_urls(provider: IdentityProvider) -> list[str]:
    """Every redirect URI to register: the platform host's, then one per verified custom
    domain of the tenant (a sign-in comes back to the host it started on)."""
    platform = callback_url(provider)
    scheme = urlsplit(platform).scheme
    path = url_for(f"{DOMAIN_NAME}.federation_callback", provider_id=str(provider.id))
    tenant = db.session.get(Tenant, provider.tenant_id)
    domains = [state.domain for state in domain_states(tenant) if state.status == VERIFIED]
    return [platform, *(f"{scheme}://{domain}{path}" for domain in domains)]


def callback_url(provider: IdentityProvider) -> str:
    """The redirect URI to register at the provider (on the platform host)."""
    slug = db.session.get(Tenant, provider.tenant_id).slug
    return url_for(
        "hosted.federation_callback", slug=slug, provider_id=str(provider.id), _external=True
    )
