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
from collections.abc import Sequence
from datetime import timedelta
from functools import lru_cache
from typing import Any, NamedTuple, NoReturn

import sqlalchemy as sa

from authsvc import events
from authsvc.auth.context import ClientContext
from authsvc.auth.tenant_policy import AuthPolicy
from authsvc.db import new_id, utcnow
from authsvc.errors import AuthenticationFailed, NotFound
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.metrics import instruments
from authsvc.organizations.claims import read_user_in
from authsvc.sessions.models import RefreshToken, Session
from authsvc.tokens import denylist
from authsvc.users.models import User
from authsvc.users.reads import UserRow

REFRESH_PREFIX = "rt_"


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _device(ctx: ClientContext) -> dict:
    return dict(_parse_device(ctx.user_agent or ""))


@lru_cache(maxsize=1024)
def _parse_device(user_agent: str) -> tuple[tuple[str, str], ...]:
    # Parsing a user agent takes a few hundred regular expressions; a service
    # sees the same few agents again and again. Imported here: compiling them
    # took a sixth of every process's start-up, workers and CLI runs included,
    # which mostly never open a session.
    from user_agents import parse as parse_user_agent

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


def start_session(
    user: UserRow,
    ctx: ClientContext,
    policy: AuthPolicy,
    via: str = "password",
    amr: Sequence[str] = ("pwd",),
) -> tuple[Session, str]:
    """Open a session for ``user`` with its first refresh token and record the sign-in
    (``last_login_at``, the methods used as RFC 8176 ``amr`` values, the
    ``session.created`` and ``user.login`` events, the latter saying ``via`` which first
    factor: ``password`` or a provider kind); the caller commits."""
    now = utcnow()
    session = Session(
        id=new_id(),
        user_id=user.id,
        device_id=(ctx.device_id or secrets.token_hex(16))[:64],
        device_name=(ctx.device_name or None) and ctx.device_name[:200],
        ip=ctx.ip,
        user_agent=ctx.user_agent,
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=policy.refresh_token_ttl_seconds),
        amr=list(amr),
        **_device(ctx),
    )
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    db.session.add(session)
    # The session row first: its refresh token's foreign key points at it, and the
    # unit of work orders inserts only along relationship()s, which these lack.
    db.session.flush()
    db.session.add(RefreshToken(session_id=session.id, token_hash=token_hash(raw), created_at=now))
    db.session.execute(sa.update(User).where(User.id == user.id).values(last_login_at=now))
    user_id = str(user.id)
    events.emit_many(
        [
            ("session.created", session_payload(session), f"user:{user_id}"),
            (
                "user.login",
                {"user_id": user_id, "session_id": str(session.id), "via": via},
                "self",
            ),
        ]
    )
    if policy.max_sessions_per_user:
        _evict_oldest(user.id, policy)
    return session, raw


def open_app_session(
    user_id: uuid.UUID,
    application,
    scope: str,
    ttl_seconds: int,
    refresh: bool,
    amr: Sequence[str] = (),
) -> tuple[Session, str | None]:
    """Open the session an OAuth application holds for a user (one refresh-token family,
    rotated and reuse-checked like any other), with a refresh token when ``refresh``;
    ``amr`` is how the user signed in, kept for the session's refreshed tokens. The
    caller commits."""
    now = utcnow()
    session = Session(
        id=new_id(),
        user_id=user_id,
        device_id=application.client_id,
        device_name=application.name,
        device_type="application",
        created_at=now,
        last_seen_at=now,
        expires_at=now + timedelta(seconds=ttl_seconds),
        application_id=application.id,
        scope=scope,
        amr=list(amr),
    )
    db.session.add(session)
    db.session.flush()  # the refresh token's foreign key points at the session row
    raw = None
    if refresh:
        raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
        db.session.add(RefreshToken(session_id=session.id, token_hash=token_hash(raw)))
    events.emit("session.created", session_payload(session), f"user:{user_id}")
    return session, raw


def _evict_oldest(user_id: uuid.UUID, policy: AuthPolicy) -> None:
    active = list_sessions(user_id)
    for old in active[: max(len(active) - policy.max_sessions_per_user, 0)]:
        revoke(old, "evicted", policy, actor="system")


#: The hot-path UPDATEs below change rows no object in the ORM session stands for
#: (or whose changed columns nothing reads afterwards), so they skip SQLAlchemy's
#: matching of in-memory objects against the WHERE clause; that matching cost about
#: a sixth of a refresh's CPU.
_UNSYNCED = {"synchronize_session": False}


class Rotated(NamedTuple):
    """A spent refresh token's successor, with what the next access token needs."""

    session_id: uuid.UUID
    user: UserRow
    refresh_token: str
    #: The claims of the session's active organization (empty without one).
    organization: dict[str, Any]
    #: How the user signed in (the session's RFC 8176 ``amr``).
    amr: tuple[str, ...]


def rotate(raw: str, application_id: uuid.UUID | None = None) -> Rotated:
    """Spend a refresh token and issue the next one; the caller commits.

    ``application_id`` names the OAuth application whose session the token must
    belong to; None (the API's ``/auth/refresh``) accepts only the tenant's own
    sessions, so an application's token never turns into an unscoped one.

    Returns the session id, the session's user, the next token, the session's
    organization claims (read with the user, in one statement) and how the user
    signed in (the session's ``amr``). The token is
    spent only if it was unused and the session touched only if it is still
    active, by conditional UPDATEs: of two requests racing with one token, one
    spends it and the other finds it spent. A token that exists but was
    already spent is a reuse and revokes its session.
    """
    now = utcnow()
    digest = token_hash(raw)
    spent = db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.token_hash == digest, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .returning(RefreshToken.session_id)
        .execution_options(**_UNSYNCED)
    ).first()
    if spent is None:
        _refuse(digest)
    touched = db.session.execute(
        sa.update(Session)
        .where(
            Session.id == spent.session_id,
            Session.application_id.is_(None)
            if application_id is None
            else Session.application_id == application_id,
            Session.revoked_at.is_(None),
            Session.expires_at > now,
        )
        .values(last_seen_at=now)
        .returning(Session.user_id, Session.active_organization_id, Session.amr)
        .execution_options(**_UNSYNCED)
    ).first()
    if touched is None:
        _refuse(digest)
    next_raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    db.session.add(RefreshToken(session_id=spent.session_id, token_hash=token_hash(next_raw)))
    user, access = read_user_in(touched.user_id, touched.active_organization_id)
    claims = access.claims() if access is not None else {}
    return Rotated(spent.session_id, user, next_raw, claims, tuple(touched.amr or ()))


def _refuse(digest: str) -> NoReturn:
    """The token could not be used: unknown, spent before (reuse), or its session ended."""
    db.session.rollback()  # whatever the attempt changed
    known = db.session.execute(
        sa.select(RefreshToken.session_id, RefreshToken.used_at).where(
            RefreshToken.token_hash == digest
        )
    ).first()
    if known is None:
        raise AuthenticationFailed("The refresh token is not valid.", scheme="Bearer")
    if known.used_at is None:
        raise AuthenticationFailed("The session has ended; sign in again.", scheme="Bearer")
    _reuse_detected(known.session_id)


def _reuse_detected(session_id: uuid.UUID) -> NoReturn:
    from authsvc.auth.tenant_policy import tenant_auth

    session = get_session(session_id)
    events.emit("token.reuse_detected", session_payload(session), actor="system")
    tenant = tenant_auth()
    revoke(session, "refresh_token_reuse", tenant.policy, actor="system")
    db.session.commit()
    instruments.reuse_detected(tenant.slug)
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


def choose_organization(
    session_id: uuid.UUID, user_id: uuid.UUID, organization_id: uuid.UUID | None
) -> str:
    """Make ``organization_id`` the active organization of the user's session, spend
    the session's live refresh tokens and issue the next one; the caller commits.

    The session is checked (the user's, still active), touched and changed by one
    conditional UPDATE. Its tokens change meaning, so the family keeps one live
    token: a client presenting an older one is a reuse.
    """
    now = utcnow()
    touched = db.session.execute(
        sa.update(Session)
        .where(
            Session.id == session_id,
            Session.user_id == user_id,
            Session.revoked_at.is_(None),
            Session.expires_at > now,
        )
        .values(last_seen_at=now, active_organization_id=organization_id)
        .returning(Session.id)
        .execution_options(**_UNSYNCED)
    ).first()
    if touched is None:
        raise AuthenticationFailed("The session has ended; sign in again.", scheme="Bearer")
    db.session.execute(
        sa.update(RefreshToken)
        .where(RefreshToken.session_id == session_id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(**_UNSYNCED)
    )
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    db.session.add(RefreshToken(session_id=session_id, token_hash=token_hash(raw)))
    return raw
