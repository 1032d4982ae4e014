"""Creating, listing and revoking API keys.

The plaintext key is returned once, from :func:`create_api_key`; only its
SHA-256 is stored.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

import sqlalchemy as sa

from authsvc import events, signals
from authsvc.apikeys import authentication
from authsvc.apikeys.authentication import hash_secret
from authsvc.apikeys.models import SCOPES, ApiKey
from authsvc.db import utcnow
from authsvc.errors import NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id

PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def generate_key() -> tuple[str, str]:
    """A new (prefix, full key) pair: ``ak_<12 chars>_<43 chars of secret>``."""
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(12))
    return prefix, f"ak_{prefix}_{secrets.token_urlsafe(32)}"


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValidationFailed(
            errors={"scopes": [f"Unknown scope: {name}." for name in unknown]},
        )
    if not scopes:
        raise ValidationFailed(errors={"scopes": ["Give at least one scope."]})
    return sorted(set(scopes))


def create_api_key(
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    actor: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key for the bound tenant; returns the row and the plaintext, shown once."""
    scopes = check_scopes(scopes)
    if expires_at is not None and expires_at <= utcnow():
        raise ValidationFailed(errors={"expires_at": ["Must be in the future."]})
    prefix, plaintext = generate_key()
    key = ApiKey(
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(plaintext),
        scopes=scopes,
        expires_at=expires_at,
        created_by=actor,
    )
    db.session.add(key)
    db.session.flush()
    events.emit("apikey.created", {"api_key": _summary(key)}, actor=actor)
    db.session.commit()
    return key, plaintext


def list_api_keys(include_revoked: bool = False) -> list[ApiKey]:
    statement = sa.select(ApiKey).order_by(ApiKey.id)
    if not include_revoked:
        statement = statement.where(ApiKey.revoked_at.is_(None))
    return list(db.session.execute(statement).scalars())


def get_api_key(key_id: str | uuid.UUID) -> ApiKey:
    statement = sa.select(ApiKey).where(ApiKey.id == parse_id(key_id, "API key"))
    key = db.session.execute(statement).scalar_one_or_none()
    if key is None:
        raise NotFound(f"No API key with id {key_id}.")
    return key


def find_by_prefix(prefix: str) -> ApiKey:
    key = db.session.execute(sa.select(ApiKey).where(ApiKey.prefix == prefix)).scalar_one_or_none()
    if key is None:
        raise NotFound(f"No API key with prefix {prefix}.")
    return key


def revoke_api_key(key: ApiKey, actor: str | None = None) -> ApiKey:
    """Revoke a key: refused at once (denylist), everywhere with Redis."""
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        authentication.deny(key)
        events.emit("apikey.revoked", {"api_key": _summary(key)}, actor=actor)
        db.session.commit()
        signals.api_key_revoked.send(None, prefix=key.prefix)
    return key


def _summary(key: ApiKey) -> dict:
    return {"id": str(key.id), "name": key.name, "prefix": key.prefix, "scopes": key.scopes}
