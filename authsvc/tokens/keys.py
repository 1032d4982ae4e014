"""Per-tenant JWT signing keys: creation, rotation, publication (JWKS).

Rationale: each tenant signs with its own asymmetric key, so a tenant's
tokens can be verified by anyone holding its JWKS and never by another
tenant's keys. The active key is created lazily on first use; ``rotate``
adds a new key and keeps the old public key published until every token it
signed has expired. Private keys are encrypted at rest (:mod:`secretbox`).
Processes cache keys briefly (``KEY_CACHE_SECONDS``); a rotation therefore
publishes the old key for that long on top of the token lifetime.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from joserfc import jwk

from authsvc import secretbox
from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.tenancy import ALL_TENANTS, tenant_context
from authsvc.tenants.models import Tenant
from authsvc.tokens.models import SigningKey

KEY_CACHE_SECONDS = 60
SUPPORTED_ALGS = ("ES256", "RS256")
_PURPOSE = "signing-key"


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    alg: str
    tenant_id: uuid.UUID
    key: object  # joserfc key (private for signing keys, public for verification)
    # Verification keys carry what token checks need about their tenant.
    tenant_slug: str = ""
    tenant_settings: dict | None = None
    tenant_active: bool = True


def _generate(alg: str):
    if alg == "RS256":
        return jwk.RSAKey.generate_key(3072, private=True)
    return jwk.ECKey.generate_key("P-256", private=True)


def create_key(tenant_id: uuid.UUID, alg: str) -> SigningKey:
    """Create and store a new signing key for a tenant (caller commits)."""
    if alg not in SUPPORTED_ALGS:
        raise ValueError(f"unsupported signing algorithm {alg!r}")
    private = _generate(alg)
    kid = f"{alg.lower()}-{secrets.token_hex(8)}"
    public = {**private.as_dict(private=False), "kid": kid, "alg": alg, "use": "sig"}
    pem = private.as_pem(private=True)
    with tenant_context(tenant_id):
        row = SigningKey(
            kid=kid,
            alg=alg,
            public_jwk=public,
            private_key_encrypted=secretbox.encrypt(pem, _PURPOSE),
        )
        db.session.add(row)
        db.session.flush()
    return row


class KeyCache:
    """Active private key per tenant and public keys per kid, cached per process."""

    def __init__(self) -> None:
        self.active: dict[uuid.UUID, tuple[float, LoadedKey]] = {}
        self.public: dict[str, tuple[float, LoadedKey | None]] = {}
        # Recently verified access tokens -> (claims, monotonic deadline).
        self.verified: dict[str, tuple[object, float]] = {}
        self.lock = threading.Lock()


def _cache() -> KeyCache:
    return current_app.extensions["authsvc.keys"]


def verified_cache() -> dict:
    return _cache().verified


def _active_row(tenant_id: uuid.UUID) -> SigningKey | None:
    with tenant_context(tenant_id):
        return db.session.execute(
            sa.select(SigningKey)
            .where(SigningKey.retired_at.is_(None))
            .order_by(SigningKey.created_at.desc())
            .limit(1)
        ).scalar_one_or_none()


def active_key(tenant_id: uuid.UUID, alg: str) -> LoadedKey:
    """The tenant's current signing key, creating it on first use."""
    cache = _cache()
    hit = cache.active.get(tenant_id)
    if hit and time.monotonic() - hit[0] < KEY_CACHE_SECONDS and hit[1].alg == alg:
        return hit[1]
    with cache.lock:
        row = _active_row(tenant_id)
        if row is None or row.alg != alg:
            row = rotate(tenant_id, alg)
        pem = secretbox.decrypt(row.private_key_encrypted, _PURPOSE)
        loaded = LoadedKey(row.kid, row.alg, tenant_id, jwk.import_key(pem, row.public_jwk["kty"]))
        cache.active[tenant_id] = (time.monotonic(), loaded)
        return loaded


def rotate(tenant_id: uuid.UUID, alg: str, token_lifetime: int = 3600) -> SigningKey:
    """Add a new active key; older keys stay published until their tokens expire."""
    now = utcnow()
    keep = timedelta(seconds=token_lifetime + KEY_CACHE_SECONDS + 60)
    with tenant_context(tenant_id):
        for old in db.session.execute(
            sa.select(SigningKey).where(SigningKey.retired_at.is_(None))
        ).scalars():
            old.retired_at, old.publish_until = now, now + keep
        row = create_key(tenant_id, alg)
        db.session.commit()
    _cache().active.pop(tenant_id, None)
    return row


def public_key(kid: str) -> LoadedKey | None:
    """The verification key for ``kid`` (any tenant), or None when unknown or unpublished."""
    cache = _cache()
    hit = cache.public.get(kid)
    if hit and time.monotonic() - hit[0] < KEY_CACHE_SECONDS:
        return hit[1]
    found = db.session.execute(
        sa.select(SigningKey, Tenant.slug, Tenant.settings, Tenant.is_active)
        .join(Tenant, Tenant.id == SigningKey.tenant_id)
        .where(SigningKey.kid == kid)
        .limit(2)
        .execution_options(**{ALL_TENANTS: True})
    ).all()
    found = found[0] if len(found) == 1 else None
    loaded = None
    if found is not None and (found[0].publish_until is None or found[0].publish_until > utcnow()):
        row, slug, settings, active = found
        loaded = LoadedKey(
            row.kid, row.alg, row.tenant_id, jwk.import_key(row.public_jwk), slug, settings, active
        )
    if len(cache.public) > 50_000:
        cache.public.clear()
    cache.public[kid] = (time.monotonic(), loaded)
    return loaded


def published_jwks(tenant_id: uuid.UUID) -> dict:
    """The tenant's JWKS: the active key and retired keys still within their window."""
    now = utcnow()
    with tenant_context(tenant_id):
        rows = db.session.execute(
            sa.select(SigningKey)
            .where(sa.or_(SigningKey.publish_until.is_(None), SigningKey.publish_until > now))
            .order_by(SigningKey.created_at)
        ).scalars()
        return {"keys": [row.public_jwk for row in rows]}


def init_app(app) -> None:
    app.extensions["authsvc.keys"] = KeyCache()
