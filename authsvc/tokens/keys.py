"""Per-tenant JWT signing keys: creation, rotation, publication (JWKS).

Rationale: each tenant signs with its own asymmetric key, so a tenant's
tokens can be verified by anyone holding its JWKS and never by another
tenant's keys. The active key is created lazily on first use; ``rotate``
adds a new key and keeps the old public key published until every token it
signed has expired. Private keys are encrypted at rest (:mod:`secretbox`).
Processes cache the active key per tenant and verification keys per ``kid``
(:mod:`authsvc.cache`, ``CACHE_TTL_SECONDS``); a rotation invalidates them
everywhere through the cache's one path, and keeps the old key published for
that TTL on top of the token lifetime, in case a process without the
invalidation still signs with it.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from joserfc import jwk

from authsvc import cache, secretbox
from authsvc.cache import caches
from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.tenancy import platform_lookup, tenant_context
from authsvc.tokens.models import SigningKey

SUPPORTED_ALGS = ("ES256", "RS256")
SIGNING = "tokens.signing_keys"
VERIFYING = "tokens.verification_keys"
_PURPOSE = "signing-key"
# One thread of a process at a time may create a tenant's first key.
_creating = threading.Lock()


@dataclass(frozen=True)
class LoadedKey:
    kid: str
    alg: str
    tenant_id: uuid.UUID
    key: object  # joserfc key (private for signing keys, public for verification)
    publish_until: datetime | None = None

    def published(self) -> bool:
        return self.publish_until is None or self.publish_until > utcnow()


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
    signing = caches[SIGNING]
    hit = signing.get(tenant_id)
    if hit is not None and hit.alg == alg:
        return hit
    with _creating:
        hit = signing.get(tenant_id)
        if hit is not None and hit.alg == alg:
            return hit
        signing.invalidate(tenant_id)  # another algorithm: load (or rotate to) this one
        return signing.get_or_load(tenant_id, lambda: _load_active(tenant_id, alg))


def _load_active(tenant_id: uuid.UUID, alg: str) -> LoadedKey:
    row = _active_row(tenant_id)
    if row is None or row.alg != alg:
        row = rotate(tenant_id, alg)
    pem = secretbox.decrypt(row.private_key_encrypted, _PURPOSE)
    return LoadedKey(row.kid, row.alg, tenant_id, jwk.import_key(pem, row.public_jwk["kty"]))


def rotate(tenant_id: uuid.UUID, alg: str, token_lifetime: int = 3600) -> SigningKey:
    """Add a new active key; older keys stay published until their tokens expire."""
    now = utcnow()
    keep = timedelta(seconds=token_lifetime + current_app.config["CACHE_TTL_SECONDS"] + 60)
    with tenant_context(tenant_id):
        retired = list(
            db.session.execute(
                sa.select(SigningKey).where(SigningKey.retired_at.is_(None))
            ).scalars()
        )
        for old in retired:
            old.retired_at, old.publish_until = now, now + keep
        retired_kids = [old.kid for old in retired]
        row = create_key(tenant_id, alg)
        db.session.commit()
    caches.invalidate(SIGNING, tenant_id)
    for kid in retired_kids:
        caches.invalidate(VERIFYING, kid)
    return row


def public_key(kid: str) -> LoadedKey | None:
    """The verification key for ``kid`` (any tenant), or None when unknown or unpublished."""
    found = caches[VERIFYING].get_or_load(kid, lambda: _load_public(kid))
    return found if found is not None and found.published() else None


def _load_public(kid: str) -> LoadedKey | None:
    # The token names its key before any tenant is known: a platform-level lookup.
    row = platform_lookup(sa.select(SigningKey).where(SigningKey.kid == kid))
    if row is None:
        return None
    key = row.SigningKey
    public = jwk.import_key(key.public_jwk)
    return LoadedKey(key.kid, key.alg, key.tenant_id, public, key.publish_until)


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
    cache.register(app, SIGNING, "CACHE_TTL_SECONDS", maxsize=10_000)
    cache.register(app, VERIFYING, "CACHE_TTL_SECONDS", maxsize=50_000)
