"""API-key authentication for the REST API, with a short in-process cache.

A key looks like ``ak_<prefix>_<secret>``. The prefix is public and indexed;
only the SHA-256 of the whole key is stored, compared in constant time. Key
facts are cached per process by prefix (the ``apikeys`` cache of
:mod:`authsvc.cache`, ``APIKEYS_CACHE_TTL_SECONDS``, at most 30), tenant facts
by tenant (:func:`~authsvc.auth.tenant_policy.tenant_auth_of`). Revocation and
tenant deactivation do not wait for either: every request also asks the
denylist (:mod:`authsvc.tokens.denylist`) about the key and its tenant, so with
Redis every process refuses at once, and without Redis within
``AUTH_DENYLIST_POLL_SECONDS``. ``last_used_at`` is written at most once per
``APIKEYS_LAST_USED_INTERVAL_SECONDS`` per key and process, never on every
request.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps

import sqlalchemy as sa
from flask import current_app, g, request

from authsvc import cache, signals
from authsvc.apikeys.models import ApiKey
from authsvc.auth.tenant_policy import tenant_auth_of
from authsvc.cache import caches
from authsvc.db import utcnow
from authsvc.errors import AuthenticationFailed, PermissionDenied
from authsvc.extensions import db
from authsvc.tenancy import bind_request_tenant, platform_lookup, tenant_context
from authsvc.tokens import denylist

HEADER = "X-API-Key"
CACHE = "apikeys"
#: When this process last wrote last_used_at, per key prefix.
LAST_USED = "apikeys.last_used"
MAX_CACHED_KEYS = 50_000
#: A revoked key stays on the denylist this long after every cached copy has expired.
DENY_MARGIN_SECONDS = 60


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key of one tenant, with its scopes."""

    key_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_slug: str
    prefix: str
    scopes: frozenset[str]
    # Tenant policy the hot path needs.
    rate_limit: str | None = None
    cors_origins: tuple[str, ...] = ()

    def grants(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    @property
    def actor(self) -> str:
        return f"apikey:{self.prefix}"


@dataclass(frozen=True)
class StoredKey:
    """What the cache keeps of a key: its hash, never the secret."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    scopes: frozenset[str]
    secret_hash: str
    expires_at: datetime | None
    revoked: bool


def hash_secret(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def split_key(raw_key: str) -> str | None:
    """The prefix of a well-formed key, or None."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != "ak" or not parts[1].isalnum() or not parts[2]:
        return None
    return parts[1]


def deny(key: ApiKey) -> None:
    """Put a key being revoked on the denylist, with the caller's commit.

    The entry outlives every cached copy of the key; after that, lookups read
    ``revoked_at`` from the database.
    """
    seconds = current_app.config["APIKEYS_CACHE_TTL_SECONDS"] + DENY_MARGIN_SECONDS
    denylist.deny([key.id], utcnow() + timedelta(seconds=seconds))


def _on_key_revoked(_sender, prefix: str) -> None:
    caches.invalidate(CACHE, prefix)


def _load(prefix: str) -> StoredKey | None:
    # Before a tenant is known: a platform-level lookup of every tenant's keys.
    row = platform_lookup(
        sa.select(
            ApiKey.id,
            ApiKey.tenant_id,
            ApiKey.scopes,
            ApiKey.secret_hash,
            ApiKey.expires_at,
            ApiKey.revoked_at.is_not(None).label("revoked"),
        ).where(ApiKey.prefix == prefix)
    )
    if row is None:
        return None
    return StoredKey(
        row.id, row.tenant_id, frozenset(row.scopes), row.secret_hash, row.expires_at, row.revoked
    )


def _resolve(raw_key: str) -> Principal:
    prefix = split_key(raw_key)
    if prefix is None:
        raise AuthenticationFailed("The API key is malformed.")
    stored = caches[CACHE].get_or_load(prefix, lambda: _load(prefix))
    # Compare even for unknown prefixes so timing does not reveal which exist.
    expected = stored.secret_hash if stored is not None else "0" * 64
    matches = hmac.compare_digest(expected, hash_secret(raw_key))
    tenant = tenant_auth_of(stored.tenant_id) if matches and stored is not None else None
    usable = tenant is not None and tenant.active and not stored.revoked
    if not usable or denylist.is_denied(stored.tenant_id, stored.id):
        raise AuthenticationFailed("The API key is invalid, revoked, or its tenant is inactive.")
    if stored.expires_at is not None and stored.expires_at <= utcnow():
        raise AuthenticationFailed("The API key has expired.")
    principal = Principal(
        stored.id,
        stored.tenant_id,
        tenant.slug,
        prefix,
        stored.scopes,
        rate_limit=tenant.rate_limit,
        cors_origins=tenant.cors_origins,
    )
    _touch(principal)
    return principal


def _touch(principal: Principal) -> None:
    written = caches[LAST_USED]
    if written.get(principal.prefix) is not None:
        return
    written.set(principal.prefix, True)
    # Its own session and transaction: the request's may hold staged work.
    with db.session.session_factory() as session, tenant_context(principal.tenant_id):
        session.execute(
            sa.update(ApiKey).where(ApiKey.id == principal.key_id).values(last_used_at=utcnow())
        )
        session.commit()


_UNRESOLVED = object()


def _principal_from_header() -> Principal | AuthenticationFailed | None:
    raw = request.headers.get(HEADER, "").strip()
    if not raw:
        return None
    try:
        principal = _resolve(raw)
    except AuthenticationFailed as exc:
        return exc
    bind_request_tenant(principal.tenant_id)
    return principal


def current_principal(required: bool = True) -> Principal | None:
    """The authenticated caller of this request (memoised); binds its tenant."""
    principal = g.get("principal", _UNRESOLVED)
    if principal is _UNRESOLVED:
        principal = g.principal = _principal_from_header()
    if isinstance(principal, AuthenticationFailed):
        raise principal
    if principal is None and required:
        raise AuthenticationFailed(f"Send an API key in the {HEADER} header.")
    return principal


def require_scope(scope: str):
    """Decorator for API methods: a valid key that grants ``scope``."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if not principal.grants(scope):
                raise PermissionDenied(f"This API key lacks the '{scope}' scope.")
            return view(*args, **kwargs)

        wrapper.__apidoc__ = {**getattr(view, "__apidoc__", {}), "security": [{"apikey": []}]}
        wrapper.required_scope = scope
        return wrapper

    return decorator


def optional_principal() -> Principal | None:
    """The caller if it sent a valid key; never raises."""
    try:
        return current_principal(required=False)
    except AuthenticationFailed:
        return None


def init_app(app) -> None:
    cache.register(app, CACHE, "APIKEYS_CACHE_TTL_SECONDS", maxsize=MAX_CACHED_KEYS)
    interval = "APIKEYS_LAST_USED_INTERVAL_SECONDS"
    cache.register(app, LAST_USED, interval, maxsize=MAX_CACHED_KEYS, local=True)
    signals.api_key_revoked.connect(_on_key_revoked)
