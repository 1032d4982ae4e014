"""Revoked access tokens (by ``jti``) and sessions (by ``sid``) until they expire.

Access tokens are self-contained, so logout and session revocation need a
denylist that the hot path (``/auth/validate``) checks: one Redis ``EXISTS``
when Redis is configured, otherwise one primary-key lookup. Entries expire with
the longest-lived token they can concern, so the list stays small.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa

from authsvc.auth.models import RevokedToken
from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.kv import redis_client
from authsvc.tenancy import ALL_TENANTS

_PREFIX = "authsvc:deny:"


def _as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def deny(identifiers: list[str], until: datetime) -> None:
    """Deny tokens/sessions until ``until``. With no Redis the rows join the caller's commit."""
    client = redis_client()
    seconds = max(1, int((until - utcnow()).total_seconds()))
    if client is not None:
        pipe = client.pipeline()
        for ident in identifiers:
            pipe.set(_PREFIX + ident, b"1", ex=seconds)
        pipe.execute()
        return
    for key in filter(None, map(_as_uuid, identifiers)):
        known = db.session.execute(sa.select(RevokedToken.id).where(RevokedToken.id == key))
        if known.first() is None:
            db.session.add(RevokedToken(id=key, expires_at=until))


def is_denied(jti: str, sid: str) -> bool:
    """Hot path of every token check: one Redis EXISTS, or one indexed Core query."""
    client = redis_client()
    if client is not None:
        return bool(client.exists(_PREFIX + jti, _PREFIX + sid))
    ids = [i for i in (_as_uuid(jti), _as_uuid(sid)) if i is not None]
    # Core on the session's connection, without the ORM: this runs on every
    # validation. jti and sid are random UUIDs, and a match can only deny, so the
    # lookup by id needs no tenant scope to be safe.
    table = RevokedToken.__table__
    statement = (
        sa.select(table.c.id).where(table.c.id.in_(ids), table.c.expires_at > utcnow()).limit(1)
    )
    return db.session.connection().execute(statement).first() is not None


def prune(app) -> int:
    """Delete expired database entries of every tenant (a worker job)."""
    with app.app_context():
        result = db.session.execute(
            sa.delete(RevokedToken)
            .where(RevokedToken.expires_at <= utcnow())
            .execution_options(**{ALL_TENANTS: True})
        )
        db.session.commit()
        return result.rowcount or 0
