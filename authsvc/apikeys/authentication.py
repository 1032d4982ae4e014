"""API-key authentication for the REST API, with a short in-process cache.

A key looks like ``ak_<prefix>_<secret>``. The prefix is public and indexed;
only the SHA-256 of the whole key is stored, compared in constant time. Key
lookups are cached per process for ``APIKEYS_CACHE_TTL_SECONDS`` (at most 30),
so revocation, expiry changes and tenant deactivation reach every process
within that time. ``last_used_at`` is written at most once per
``APIKEYS_LAST_USED_INTERVAL_SECONDS`` per key and process, never on every
request.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import wraps

import sqlalchemy as sa
from flask import current_app, g, request

from authsvc import signals
from authsvc.apikeys.models import ApiKey
from authsvc.db import utcnow
from authsvc.errors import AuthenticationFailed, PermissionDenied
from authsvc.extensions import db
from authsvc.tenancy import ALL_TENANTS, bind_request_tenant, tenant_context
from authsvc.tenants.models import Tenant

HEADER = "X-API-Key"
MAX_CACHED_KEYS = 50_000


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key of one tenant, with its scopes."""

    key_id: uuid.UUID
    tenant_id: uuid.UUID
    tenant_slug: str
    prefix: str
    scopes: frozenset[str]
    # Tenant policy the hot path needs, cached with the key.
    rate_limit: str | None = None
    cors_origins: tuple[str, ...] = ()

    def grants(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes

    @property
    def actor(self) -> str:
        return f"apikey:{self.prefix}"


@dataclass
class _CachedKey:
    principal: Principal | None
    secret_hash: str
    expires_at: datetime | None
    usable: bool
    fetched_at: float


class KeyCache:
    """Prefix -> key facts, shared by the threads of one process."""

    def __init__(self) -> None:
        self._entries: dict[str, _CachedKey] = {}
        self._lock = threading.Lock()
        # When this process last wrote last_used_at, per key prefix.
        self.last_used_written: dict[str, float] = {}

    def get(self, prefix: str, ttl: float) -> _CachedKey | None:
        if ttl <= 0:
            return None
        entry = self._entries.get(prefix)
        if entry is not None and time.monotonic() - entry.fetched_at < ttl:
            return entry
        return None

    def put(self, prefix: str, entry: _CachedKey) -> None:
        with self._lock:
            # Evict the oldest entries rather than emptying the cache, so a
            # process serving many tenants keeps its hot keys.
            while len(self._entries) >= MAX_CACHED_KEYS:
                self._entries.pop(next(iter(self._entries)))
            self._entries.pop(prefix, None)
            self._entries[prefix] = entry

    def forget(self, prefix: str) -> None:
        self._entries.pop(prefix, None)

    def forget_tenant(self, tenant_id: uuid.UUID) -> None:
        with self._lock:
            for prefix, entry in list(self._entries.items()):
                if entry.principal is not None and entry.principal.tenant_id == tenant_id:
                    del self._entries[prefix]


def hash_secret(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def split_key(raw_key: str) -> str | None:
    """The prefix of a well-formed key, or None."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != "ak" or not parts[1].isalnum() or not parts[2]:
        return None
    return parts[1]


def _cache() -> KeyCache:
    return current_app.extensions["authsvc.apikeys"]


def _on_key_revoked(_sender, prefix: str) -> None:
    # This process stops accepting the key at once; others within the cache TTL.
    _cache().forget(prefix)


def _on_tenant_changed(_sender, tenant_id: uuid.UUID) -> None:
    _cache().forget_tenant(tenant_id)


# Every tenant's keys, before a tenant is known: platform-level code, so a Core
# statement on the session's connection (the ORM layer's per-statement work is
# most of a lookup's cost, and there is no tenant to scope it to). Built once:
# with the cache off this runs on every call.
_keys, _tenants = ApiKey.__table__, Tenant.__table__
_KEY_BY_PREFIX = (
    sa.select(
        _keys.c.id,
        _keys.c.tenant_id,
        _keys.c.scopes,
        _keys.c.secret_hash,
        _keys.c.expires_at,
        _keys.c.revoked_at,
        _tenants.c.slug,
        _tenants.c.is_active,
        _tenants.c.settings,
    )
    .select_from(_keys.join(_tenants, _tenants.c.id == _keys.c.tenant_id))
    .where(_keys.c.prefix == sa.bindparam("prefix"))
    .limit(2)
    .execution_options(**{ALL_TENANTS: True})
)


def _load(prefix: str) -> _CachedKey:
    rows = db.session.connection().execute(_KEY_BY_PREFIX, {"prefix": prefix}).all()
    # Two keys sharing a random prefix would be ambiguous: accept neither.
    row = rows[0] if len(rows) == 1 else None
    now = time.monotonic()
    if row is None:
        return _CachedKey(None, "", None, False, now)
    settings = row.settings or {}
    principal = Principal(
        row.id,
        row.tenant_id,
        row.slug,
        prefix,
        frozenset(row.scopes),
        rate_limit=settings.get("rate_limit"),
        cors_origins=tuple(settings.get("cors_origins", ())),
    )
    usable = row.is_active and row.revoked_at is None
    return _CachedKey(principal, row.secret_hash, row.expires_at, usable, now)


def _resolve(raw_key: str) -> Principal:
    prefix = split_key(raw_key)
    if prefix is None:
        raise AuthenticationFailed("The API key is malformed.")
    cache = _cache()
    entry = cache.get(prefix, current_app.config["APIKEYS_CACHE_TTL_SECONDS"])
    if entry is None:
        entry = _load(prefix)
        cache.put(prefix, entry)
    # Compare even for unknown prefixes so timing does not reveal which exist.
    matches = hmac.compare_digest(entry.secret_hash or "0" * 64, hash_secret(raw_key))
    if not (matches and entry.usable and entry.principal):
        raise AuthenticationFailed("The API key is invalid, revoked, or its tenant is inactive.")
    if entry.expires_at is not None and entry.expires_at <= utcnow():
        raise AuthenticationFailed("The API key has expired.")
    _touch(cache, entry.principal)
    return entry.principal


def _touch(cache: KeyCache, principal: Principal) -> None:
    interval = current_app.config["APIKEYS_LAST_USED_INTERVAL_SECONDS"]
    now = time.monotonic()
    if now - cache.last_used_written.get(principal.prefix, float("-inf")) < interval:
        return
    cache.last_used_written[principal.prefix] = now
    # Before the request is bound: the key's own tenant (row-level security).
    with tenant_context(principal.tenant_id), db.engine.begin() as conn:
        conn.execute(
            sa.update(ApiKey.__table__)
            .where(ApiKey.__table__.c.tenant_id == principal.tenant_id)
            .where(ApiKey.__table__.c.id == principal.key_id)
            .values(last_used_at=utcnow())
        )


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
    # One lookup of the request globals: this runs several times per API call.
    request_globals = g._get_current_object()
    principal = getattr(request_globals, "principal", _UNRESOLVED)
    if principal is _UNRESOLVED:
        principal = request_globals.principal = _principal_from_header()
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


def rate_limit_key() -> str:
    """Rate limits count per API key, falling back to the client address."""
    principal = optional_principal()
    return f"key:{principal.prefix}" if principal else f"ip:{request.remote_addr}"


def init_app(app) -> None:
    app.extensions["authsvc.apikeys"] = KeyCache()
    signals.api_key_revoked.connect(_on_key_revoked)
    signals.tenant_changed.connect(_on_tenant_changed)
