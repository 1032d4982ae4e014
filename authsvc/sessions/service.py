"""Device sessions and their rotating refresh tokens.

A session is one refresh-token family. Every refresh spends the presented
token and issues the next; presenting a spent token means it was copied, so
the whole session is revoked (``token.reuse_detected``). Revoking a session
also denylists its ``sid`` so access tokens already issued for it stop working
at once, not when they expire.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta
from functools import lru_cache
from types import SimpleNamespace

import sqlalchemy as sa
from user_agents import parse as parse_user_agent

from authsvc import events
from authsvc.auth import queries
from authsvc.auth.context import ClientContext
from authsvc.auth.tenant_policy import AuthPolicy
from authsvc.db import new_id, utcnow
from authsvc.errors import AuthenticationFailed, NotFound
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.sessions.models import Session
from authsvc.tokens import denylist

REFRESH_PREFIX = "rt_"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _device(ctx: ClientContext) -> dict:
    return dict(_parse_device(ctx.user_agent or ""))


@lru_cache(maxsize=1024)
def _parse_device(user_agent: str) -> tuple[tuple[str, str], ...]:
    # Parsing a user agent takes a few hundred regular expressions; a service
    # sees the same few agents again and again.
    agent = parse_user_agent(user_agent)
    kind = (
        "bot"
        if agent.is_bot
        else "mobile"
        if agent.is_mobile
        else "tablet"
        if agent.is_tablet
        else "desktop"
        if agent.is_pc
        else "other"
    )
    browser = f"{agent.browser.family} {agent.browser.version_string}".strip()
    system = f"{agent.os.family} {agent.os.version_string}".strip()
    return (("device_type", kind), ("browser", browser[:100]), ("os", system[:100]))


def start_session(user, ctx: ClientContext, policy: AuthPolicy) -> tuple[SimpleNamespace, str]:
    """Open a session for ``user`` with its first refresh token and record the sign-in
    (``last_login_at``, the ``session.created`` and ``user.login`` events); the caller
    commits."""
    now = utcnow()
    session = SimpleNamespace(
        id=new_id(),
        user_id=user.id,
        device_id=(ctx.device_id or secrets.token_hex(16))[:64],
        device_name=(ctx.device_name or None) and ctx.device_name[:200],
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        expires_at=now + timedelta(seconds=policy.refresh_token_ttl_seconds),
        **_device(ctx),
    )
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    values = {name: getattr(session, name) for name in queries.SESSION_COLUMNS}
    values.update(refresh_id=new_id(), digest=token_hash(raw), now=now)
    user_id = str(user.id)
    # The rows and the events are written together (on PostgreSQL, one statement).
    events.emit_many(
        [
            ("session.created", session_payload(session), f"user:{user_id}"),
            ("user.login", {"user_id": user_id, "session_id": str(session.id)}, "self"),
        ],
        change=queries.OPEN_SESSION,
        params={f"v_{name}": value for name, value in values.items()},
    )
    if policy.max_sessions_per_user:
        _evict_oldest(user.id, policy)
    return session, raw


def _evict_oldest(user_id: uuid.UUID, policy: AuthPolicy) -> None:
    active = list_sessions(user_id)
    for old in active[: max(len(active) - policy.max_sessions_per_user, 0)]:
        revoke(old, "evicted", policy, actor="system")


def rotate(raw: str) -> tuple[uuid.UUID, SimpleNamespace, str]:
    """Spend a refresh token and issue the next one.

    Returns the session id, the session's user as an access token describes it
    (id, tenant_id, email, is_active, roles) and the next token. The token is
    spent only if it was unused and the session touched only if it is still
    active, by conditional UPDATEs (on PostgreSQL all in one statement). A
    token that exists but was already spent is a reuse and revokes its session.
    """
    now = utcnow()
    digest = token_hash(raw)
    next_raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    if db.session.get_bind().dialect.name == "postgresql":
        found = queries.user_with_roles(
            queries.ROTATE,
            digest=digest,
            now=now,
            next_id=new_id(),
            next_digest=token_hash(next_raw),
        )
        if found is None:
            _refuse(digest)
        session_id = found.pop("session_id")
        return session_id, SimpleNamespace(**found), next_raw
    spent = queries.run(queries.SPEND_REFRESH, digest=digest, now=now).first()
    if spent is None:
        _refuse(digest)
    touched = queries.run(queries.TOUCH_SESSION, session_id=spent.session_id, now=now).first()
    if touched is None:
        _refuse(digest)
    queries.insert_refresh(spent.session_id, token_hash(next_raw))
    found = queries.user_with_roles(queries.USER_BY_ID["token"], user_id=touched.user_id)
    return spent.session_id, SimpleNamespace(**found), next_raw


def _refuse(digest: str) -> None:
    """The token could not be used: unknown, spent before (reuse), or its session ended."""
    db.session.rollback()  # whatever the attempt changed
    known = queries.run(queries.FIND_REFRESH, digest=digest).first()
    if known is None:
        raise AuthenticationFailed("The refresh token is not valid.", scheme="Bearer")
    if known.used_at is None:
        raise AuthenticationFailed("The session has ended; sign in again.", scheme="Bearer")
    _reuse_detected(known.session_id)


def _reuse_detected(session_id: uuid.UUID) -> None:
    from authsvc.auth.tenant_policy import tenant_auth

    session = get_session(session_id)
    events.emit("token.reuse_detected", session_payload(session), actor="system")
    revoke(session, "refresh_token_reuse", tenant_auth().policy, actor="system")
    db.session.commit()
    raise AuthenticationFailed(
        "This refresh token was already used; the session has been revoked.", scheme="Bearer"
    )


def get_session(session_id, user_id: uuid.UUID | None = None) -> Session:
    statement = sa.select(Session).where(Session.id == parse_id(session_id, "session"))
    if user_id is not None:
        statement = statement.where(Session.user_id == user_id)
    session = db.session.execute(statement).scalar_one_or_none()
    if session is None:
        raise NotFound(f"No session with id {session_id}.")
    return session


def list_sessions(user_id: uuid.UUID) -> list[Session]:
    """The user's active sessions, oldest first."""
    return list(
        db.session.execute(
            sa.select(Session)
            .where(
                Session.user_id == user_id,
                Session.revoked_at.is_(None),
                Session.expires_at > utcnow(),
            )
            .order_by(Session.created_at, Session.id)
        ).scalars()
    )


def revoke(session: Session, reason: str, policy: AuthPolicy, actor: str | None) -> None:
    """End a session: its refresh tokens die and its access tokens are denylisted."""
    if session.revoked_at is not None:
        return
    session.revoked_at, session.revoked_reason = utcnow(), reason
    until = utcnow() + timedelta(seconds=policy.access_token_ttl_seconds + 60)
    denylist.deny([str(session.id)], until)
    events.emit("session.revoked", {**session_payload(session), "reason": reason}, actor=actor)


def revoke_all(user_id: uuid.UUID, reason: str, policy: AuthPolicy, actor, keep=None) -> int:
    """Revoke every active session of a user, except ``keep`` (a session id)."""
    count = 0
    for session in list_sessions(user_id):
        if keep is None or session.id != keep:
            revoke(session, reason, policy, actor)
            count += 1
    return count


def session_payload(session: Session) -> dict:
    return {
        "session": {
            "id": str(session.id),
            "user_id": str(session.user_id),
            "device_name": session.device_name,
            "device_type": session.device_type,
            "browser": session.browser,
            "ip": session.ip,
        }
    }
