"""Discovery documents and JWKS of OpenID Providers, cached as long as their HTTP headers say.

Rationale: authlib's client fetches the discovery document once per client and
keeps it for the life of the process, and a client is registered per version of
the provider's row. Here the documents are fetched by us, kept in the process
cache for the ``Cache-Control: max-age`` the provider sent (bounded by
``FEDERATION_METADATA_MIN_SECONDS`` and ``..._MAX_SECONDS``; no header means
``..._DEFAULT_SECONDS``, ``no-store``/``no-cache`` the minimum), and handed to
authlib as the client's server metadata, so a rotated JWKS or moved endpoint is
seen without re-registering the client (which would expire sign-ins under way).
Entries are per tenant and provider: one tenant's fetches never answer another's.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests
from flask import Flask, current_app
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header

from authsvc import cache
from authsvc.cache import caches
from authsvc.federation import status
from authsvc.federation.models import IdentityProvider

CACHE = "federation.metadata"
#: The discovery fields authlib uses; only these reach the client (no field of a
#: document can collide with the client's own arguments).
ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
OPTIONAL = ("issuer", "userinfo_endpoint", "end_session_endpoint")


@dataclass(frozen=True)
class Document:
    """A fetched JSON document and when (``time.monotonic()``) it goes stale."""

    body: dict[str, Any]
    stale_at: float


def init_app(app: Flask) -> None:
    app.config.setdefault("FEDERATION_METADATA_MIN_SECONDS", 60)
    app.config.setdefault("FEDERATION_METADATA_MAX_SECONDS", 86_400)
    app.config.setdefault("FEDERATION_METADATA_DEFAULT_SECONDS", 3_600)
    # Local: what a provider published is known only from fetching it, never invalidated.
    cache.register(app, CACHE, "FEDERATION_METADATA_MAX_SECONDS", maxsize=1_000, local=True)


def lifetime(cache_control: str | None) -> float:
    """Seconds to keep a document served with this ``Cache-Control`` header."""
    config = current_app.config
    low, high = config["FEDERATION_METADATA_MIN_SECONDS"], config["FEDERATION_METADATA_MAX_SECONDS"]
    parsed = parse_cache_control_header(cache_control, cls=ResponseCacheControl)
    if parsed.no_store or parsed.no_cache:
        return low
    seconds = (
        parsed.max_age
        if parsed.max_age is not None
        else config["FEDERATION_METADATA_DEFAULT_SECONDS"]
    )
    return float(min(max(seconds, low), high))


def _fetch(url: str) -> Document:
    response = requests.get(
        url,
        headers={"Accept": "application/json"},
        timeout=current_app.config["FEDERATION_HTTP_TIMEOUT_SECONDS"],
    )
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, dict):
        raise ValueError(f"{url} did not answer with a JSON object")
    return Document(body, time.monotonic() + lifetime(response.headers.get("Cache-Control")))


def _cached(provider: IdentityProvider, url: str) -> dict[str, Any]:
    key = f"{provider.tenant_id}:{provider.id}:{url}"
    found = caches[CACHE].get(key)
    if found is not None and found.stale_at > time.monotonic():
        return found.body
    document = _fetch(url)
    caches[CACHE].set(key, document)
    status.note_fetched(provider)
    return document.body


def server_metadata(provider: IdentityProvider, with_keys: bool) -> dict[str, Any]:
    """What authlib needs of the provider's discovery document (and, ``with_keys``,
    its JWKS as ``jwks``).

    Raises a ``requests`` error or ValueError when the provider cannot be reached
    or answers something else than the documents expected."""
    document = _cached(provider, f"{provider.issuer or ''}/.well-known/openid-configuration")
    missing = [name for name in ENDPOINTS if not isinstance(document.get(name), str)]
    if missing:
        raise ValueError(f"the discovery document lacks {', '.join(missing)}")
    metadata = {name: document[name] for name in ENDPOINTS}
    metadata.update({k: document[k] for k in OPTIONAL if isinstance(document.get(k), str)})
    algorithms = document.get("id_token_signing_alg_values_supported")
    if isinstance(algorithms, list) and all(isinstance(a, str) for a in algorithms):
        metadata["id_token_signing_alg_values_supported"] = algorithms
    if with_keys:
        metadata["jwks"] = _cached(provider, metadata["jwks_uri"])
    return metadata
