"""Revoked access tokens (by ``jti``) and sessions (by ``sid``) until they expire.

Access tokens are self-contained, so logout and session revocation need a
denylist that the hot path (``/auth/validate``) checks. It is stored in Redis
when configured (keys with a TTL), otherwise in the ``revoked_tokens`` table;
entries expire with the longest-lived token they can concern, so the list
stays small. Checks are answered from a per-process copy when it is current
(:mod:`denymirror`, which states the propagation bounds), otherwise from the
store: one Redis ``EXISTS`` or one primary-key lookup.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.kv import redis_client
from authsvc.tenancy import ALL_TENANTS
from authsvc.tokens.denymirror import CHANNEL, PREFIX, DatabaseMirror, RedisMirror, as_uuid
from authsvc.tokens.models import RevokedToken

#: Session-info key: ids this transaction denied, added to the local copy on commit.
_PENDING = "authsvc_denied_pending"


def _mirror() -> RedisMirror | DatabaseMirror | None:
    """This app's copy of the denylist, or None when switched off (poll interval 0)."""
    state = current_app.extensions["authsvc.denylist"]
    if "mirror" not in state:
        seconds = current_app.config["AUTH_DENYLIST_POLL_SECONDS"]
        client = redis_client()
        if seconds <= 0:
            state["mirror"] = None
        elif client is not None:
            state["mirror"] = RedisMirror(client)
        else:
            state["mirror"] = DatabaseMirror(db.engine, RevokedToken.__table__, seconds)
    return state["mirror"]


def deny(identifiers: list[str], until: datetime) -> None:
    """Deny tokens/sessions until ``until``. With no Redis the rows join the caller's commit."""
    client = redis_client()
    seconds = max(1, int((until - utcnow()).total_seconds()))
    mirror = _mirror()
    if client is not None:
        pipe = client.pipeline()
        for ident in identifiers:
            pipe.set(PREFIX + ident, b"1", ex=seconds)
        pipe.publish(CHANNEL, " ".join([f"{until.timestamp():.3f}", *identifiers]))
        pipe.execute()
        if mirror is not None:
            mirror.add(identifiers, until.timestamp())
        return
    keys = [key for key in map(as_uuid, identifiers) if key is not None]
    for key in keys:
        known = db.session.execute(sa.select(RevokedToken.id).where(RevokedToken.id == key))
        if known.first() is None:
            db.session.add(RevokedToken(id=key, expires_at=until))
    db.session.info.setdefault(_PENDING, []).append((keys, until.timestamp()))


def is_denied(jti: str, sid: str) -> bool:
    """Hot path of every token check: the local copy, else one Redis EXISTS or one query."""
    mirror = _mirror()
    client = redis_client()
    if client is not None:
        if mirror is not None:
            answer = mirror.check((jti, sid))
            if answer is not None:
                return answer
        return bool(client.exists(PREFIX + jti, PREFIX + sid))
    ids = [i for i in (as_uuid(jti), as_uuid(sid)) if i is not None]
    if mirror is not None:
        return bool(mirror.check(ids))
    # Core on the session's connection, without the ORM. jti and sid are random
    # UUIDs, and a match can only deny, so the lookup by id needs no tenant scope.
    table = RevokedToken.__table__
    statement = (
        sa.select(table.c.id).where(table.c.id.in_(ids), table.c.expires_at > utcnow()).limit(1)
    )
    return db.session.connection().execute(statement).first() is not None


def _after_commit(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        mirror = _mirror()
        if mirror is not None:
            for keys, until in pending:
                mirror.add(keys, until)


def _after_rollback(session) -> None:
    session.info.pop(_PENDING, None)


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


def init_app(app) -> None:
    from flask_sqlalchemy.session import Session as FlaskSession

    app.extensions["authsvc.denylist"] = {}
    if not event.contains(FlaskSession, "after_commit", _after_commit):
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_rollback", _after_rollback)
