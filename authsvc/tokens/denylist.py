"""Revocation: the denylist of sessions, access tokens, API keys and tenants.

Rationale: access tokens are self-contained and API keys are cached, so signing
out, revoking a session or a key, and deactivating a tenant need a list that
every check consults. An entry is an id (a session's ``sid``, a token's
``jti``, an API key's or a tenant's id) with an expiry: as long as anything it
concerns can live, or :data:`FOREVER` for a deactivated tenant until
:func:`lift` takes it off when the tenant is reactivated.

* An entry is a ``revoked_tokens`` row staged in the caller's transaction. With
  Redis configured it is also SET in Redis (``authsvc:deny:<id>``, the entry's
  remaining lifetime as TTL) as that transaction commits, just before the
  database does: a Redis failure aborts the change (503) rather than leave it
  unenforced.
* With Redis, every check is one round trip (EXISTS over the ids, pipelined
  with an EXISTS of the restore marker), so every process refuses an entry as
  soon as the revoking request has answered. If Redis lost its data, the first
  check finds no marker and copies the unexpired rows back from the database;
  while Redis cannot be reached, checks read the table (uncached).
* Without Redis, a check reads the table (one query for the ids it has no
  answer for), and a process reuses each answer for
  ``AUTH_DENYLIST_POLL_SECONDS`` (the ``tokens.denied`` cache): another process
  refuses an entry at most that long after it committed; the revoking process
  drops its answers at commit, so it refuses at once.

A token the API issued to a session (it has a ``sid`` and no ``client_id``) is
revoked only by revoking its session: signing out, an admin's revoke, a reuse, a
disabled user. ``jti`` entries are for an application's tokens, which
``/oauth2/revoke`` can revoke one at a time. So :func:`token_denied` checks the
tenant and the session of an API token, never its ``jti``: a fresh token costs
no lookup of its own and shares the answer cached for its session.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import redis
import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event

from authsvc import cache
from authsvc.cache import caches
from authsvc.db import utcnow
from authsvc.errors import ServiceUnavailable
from authsvc.extensions import db
from authsvc.kv import redis_client
from authsvc.tenancy import platform_scope, tenant_context
from authsvc.tokens.models import RevokedToken

if TYPE_CHECKING:
    from authsvc.tokens.jwt import AccessClaims

PREFIX = "authsvc:deny:"
#: Present while Redis holds the denylist; absent after Redis lost its data.
RESTORED = "authsvc:denylist:restored"
#: The expiry of entries that last until lifted (deactivated tenants).
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
CACHE = "tokens.denied"
#: Session-info key: (action, ids, until) of this transaction, applied as it commits.
_PENDING = "authsvc_denylist_pending"


def _canonical(identifier: object) -> uuid.UUID | None:
    """Entries are UUIDs (a jti is one in hex); anything else can never be denied."""
    if isinstance(identifier, uuid.UUID):
        return identifier
    try:
        return uuid.UUID(str(identifier))
    except ValueError:
        return None


def _ids(identifiers: Iterable[object]) -> list[uuid.UUID]:
    return [key for key in map(_canonical, identifiers) if key is not None]


def deny(identifiers: Iterable[object], until: datetime) -> None:
    """Deny ``identifiers`` until ``until`` (in the bound tenant), with the caller's commit."""
    ids = _ids(identifiers)
    known = set(
        db.session.execute(sa.select(RevokedToken.id).where(RevokedToken.id.in_(ids))).scalars()
    )
    for key in ids:
        if key not in known:
            db.session.add(RevokedToken(id=key, expires_at=until))
    db.session.info.setdefault(_PENDING, []).append(("deny", ids, until))


def lift(identifiers: Iterable[object]) -> None:
    """Take ``identifiers`` off the list (a reactivated tenant), with the caller's commit."""
    ids = _ids(identifiers)
    db.session.execute(sa.delete(RevokedToken).where(RevokedToken.id.in_(ids)))
    db.session.info.setdefault(_PENDING, []).append(("lift", ids, None))


def is_denied(tenant_id: uuid.UUID, *identifiers: object) -> bool:
    """Is the tenant, or any of ``identifiers`` (its sessions, tokens, keys), revoked?"""
    ids = [tenant_id, *_ids(identifiers)]
    client = redis_client()
    with tenant_context(tenant_id):
        if client is not None:
            return _denied_in_redis(client, ids)
        answers = caches[CACHE].get_or_load_many(ids, _answers_from_db)
        return any(answers.values())


def token_denied(claims: AccessClaims) -> bool:
    """Is an access token revoked: its tenant, its session, or (an application's) itself?"""
    ids = [claims.sid] if claims.sid else []
    if claims.client_id or not claims.sid:
        ids.append(claims.jti)
    return is_denied(claims.tid, *ids)


def _denied_in_db(ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """The ids among ``ids`` with an unexpired entry, in one query (exact: every
    committed revocation is in the table)."""
    statement = sa.select(RevokedToken.id).where(
        RevokedToken.id.in_(ids), RevokedToken.expires_at > utcnow()
    )
    return set(db.session.execute(statement).scalars())


def _answers_from_db(ids: list[uuid.UUID]) -> dict[uuid.UUID, bool]:
    denied = _denied_in_db(ids)
    return {key: key in denied for key in ids}


def _denied_in_redis(client: redis.Redis, ids: list[uuid.UUID]) -> bool:
    keys = [PREFIX + str(key) for key in ids]
    try:
        pipe = client.pipeline(transaction=False)
        pipe.exists(RESTORED)
        pipe.exists(*keys)
        restored, found = pipe.execute()
        if not restored:
            _restore(client)
            found = client.exists(*keys)
    except redis.RedisError:
        # Redis is out: the database has every revocation that committed (a revocation
        # Redis could not record was not made), so it answers exactly, uncached.
        return bool(_denied_in_db(ids))
    return found > 0


def _restore(client: redis.Redis) -> None:
    """Copy every unexpired entry (all tenants) from the database into Redis."""
    now = utcnow()
    with platform_scope():
        rows = db.session.execute(
            sa.select(RevokedToken.id, RevokedToken.expires_at).where(RevokedToken.expires_at > now)
        ).all()
    pipe = client.pipeline(transaction=False)
    for row in rows:
        pipe.set(PREFIX + str(row.id), b"1", px=_millis(row.expires_at, now))
    pipe.set(RESTORED, b"1")
    pipe.execute()


def _millis(until: datetime, now: datetime) -> int:
    return max(1, int((until - now).total_seconds() * 1000))


def _write_to_redis(session) -> None:
    """Before the database commits: the transaction's entries go to Redis, or nothing does."""
    pending = session.info.get(_PENDING)
    client = redis_client() if pending else None
    if client is None:
        return
    now = utcnow()
    pipe = client.pipeline(transaction=False)
    for action, ids, until in pending:
        for key in ids:
            if action == "deny":
                pipe.set(PREFIX + str(key), b"1", px=_millis(until, now))
            else:
                pipe.delete(PREFIX + str(key))
    try:
        pipe.execute()
    except redis.RedisError:
        raise ServiceUnavailable("The revocation could not be recorded; try again.") from None


def _after_commit(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending and redis_client() is None:
        # This process answers from the table from now on; others within the TTL.
        denied = caches[CACHE]
        for _action, ids, _until in pending:
            for key in ids:
                denied.invalidate(key)


def _after_rollback(session) -> None:
    session.info.pop(_PENDING, None)


def prune(app: Flask) -> int:
    """Delete expired entries of every tenant (a worker job); Redis expires its own."""
    with app.app_context(), platform_scope():
        result = db.session.execute(
            sa.delete(RevokedToken).where(RevokedToken.expires_at <= utcnow())
        )
        db.session.commit()
        return result.rowcount or 0


def init_app(app: Flask) -> None:
    from flask_sqlalchemy.session import Session as FlaskSession

    cache.register(app, CACHE, "AUTH_DENYLIST_POLL_SECONDS", maxsize=100_000)
    if not event.contains(FlaskSession, "before_commit", _write_to_redis):
        event.listen(FlaskSession, "before_commit", _write_to_redis)
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_rollback", _after_rollback)
