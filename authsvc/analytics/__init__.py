"""Counts for the dashboard and the Analytics page, read from the event outbox.

Sign-ups, logins and failed logins are the ``user.created``, ``user.login``
and ``user.login_failed`` events, so the numbers agree with what webhooks and
the audit trail saw. Queries run under the bound tenant like any other.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from authsvc.db import utcnow
from authsvc.events import Event
from authsvc.extensions import db
from authsvc.users.models import User


def user_count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()


def event_count(event_type: str, days: int) -> int:
    """How many ``event_type`` events in the last ``days`` days."""
    since = utcnow() - timedelta(days=days)
    statement = sa.select(sa.func.count(Event.id)).where(
        Event.type == event_type, Event.created_at >= since
    )
    return db.session.execute(statement).scalar_one()


def daily_counts(event_types: list[str], days: int) -> dict[str, list[tuple[date, int]]]:
    """Per event type, one (day, count) pair for each of the last ``days`` days (UTC)."""
    today = utcnow().date()
    first = today - timedelta(days=days - 1)
    since = utcnow().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days - 1)
    rows = db.session.execute(
        sa.select(Event.type, Event.created_at).where(
            Event.type.in_(event_types), Event.created_at >= since
        )
    )
    counts: dict[tuple[str, date], int] = {}
    for event_type, created_at in rows:
        key = (event_type, created_at.date())
        counts[key] = counts.get(key, 0) + 1
    span = [first + timedelta(days=offset) for offset in range(days)]
    return {t: [(day, counts.get((t, day), 0)) for day in span] for t in event_types}


def active_session_count() -> int:
    """Device sessions that are neither revoked nor expired."""
    from authsvc.sessions.models import Session

    statement = sa.select(sa.func.count(Session.id)).where(
        Session.revoked_at.is_(None), Session.expires_at > utcnow()
    )
    return db.session.execute(statement).scalar_one()


def webhook_health() -> dict[str, int]:
    """How many webhook endpoints are healthy, failing (retrying) or disabled."""
    from authsvc.webhooks.models import WebhookEndpoint

    rows = db.session.execute(
        sa.select(WebhookEndpoint.is_active, WebhookEndpoint.failing_since.is_not(None))
    ).all()
    return {
        "healthy": sum(1 for active, failing in rows if active and not failing),
        "failing": sum(1 for active, failing in rows if active and failing),
        "disabled": sum(1 for active, _failing in rows if not active),
    }
