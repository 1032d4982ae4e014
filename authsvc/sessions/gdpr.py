"""The sessions' part of a user's export and erasure (see :mod:`authsvc.users.gdpr`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.sessions.models import RefreshToken, Session
from authsvc.tokens import denylist
from authsvc.users.gdpr import Erasure, Section
from authsvc.users.models import User

# Access tokens live at most this long (the largest TTL a tenant may set, and a margin).
_DENY_SECONDS = 24 * 3600 + 60


def _sessions(user: User) -> list[Session]:
    statement = sa.select(Session).where(Session.user_id == user.id).order_by(Session.created_at)
    return list(db.session.execute(statement).scalars())


def export(user: User) -> list[dict[str, Any]]:
    """Every session, ended ones too; refresh tokens are hashes and are left out."""
    columns = ("id", "device_id", "device_name", "device_type", "browser", "os", "ip")
    times = ("user_agent", "created_at", "last_seen_at", "expires_at", "revoked_at")
    return [
        {name: getattr(s, name) for name in (*columns, *times, "revoked_reason")}
        for s in _sessions(user)
    ]


def erase(user: User, erasure: Erasure) -> None:
    """Deny the sessions' access tokens at once, then delete sessions and refresh tokens."""
    ids = [session.id for session in _sessions(user)]
    if not ids:
        return
    denylist.deny([str(i) for i in ids], utcnow() + timedelta(seconds=_DENY_SECONDS))
    db.session.execute(
        sa.delete(RefreshToken)
        .where(RefreshToken.session_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.delete(Session).where(Session.id.in_(ids)).execution_options(synchronize_session=False)
    )


SECTION = Section("sessions", ("sessions", "refresh_tokens"), export, erase)
