"""The delivery log of one endpoint: a delivery with its attempts, the 24-hour success
rate, and replaying failed deliveries (shared by the API and the admin panel)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from authsvc import events
from authsvc.audit import service as audit
from authsvc.db import utcnow
from authsvc.errors import Conflict, NotFound
from authsvc.events import Event
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.webhooks.models import (
    FAILED,
    PENDING,
    SUCCEEDED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

RATE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class SuccessRate:
    """Deliveries of the last 24 hours by outcome; ``percent`` is None when none finished."""

    succeeded: int
    failed: int
    pending: int

    @property
    def percent(self) -> int | None:
        finished = self.succeeded + self.failed
        return round(100 * self.succeeded / finished) if finished else None


def get_delivery(endpoint: WebhookEndpoint, delivery_id: str | uuid.UUID) -> WebhookDelivery:
    """One delivery of ``endpoint``; another endpoint's (or tenant's) is not found."""
    delivery = db.session.execute(
        sa.select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.id == parse_id(delivery_id, "delivery"),
        )
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"No delivery with id {delivery_id} for this webhook.")
    return delivery


def attempts(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    """The delivery's recorded attempts, first first."""
    statement = (
        sa.select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery.id)
        .order_by(WebhookAttempt.number, WebhookAttempt.sent_at)
    )
    return list(db.session.execute(statement).scalars())


def event_of(delivery: WebhookDelivery) -> Event | None:
    """The event the delivery carries (gone once pruned with its deliveries)."""
    return db.session.execute(
        sa.select(Event).where(Event.id == delivery.event_id)
    ).scalar_one_or_none()


def success_rate(endpoint: WebhookEndpoint, now: datetime | None = None) -> SuccessRate:
    """Deliveries created in the last 24 hours, counted by their state."""
    since = (now or utcnow()) - RATE_WINDOW
    D = WebhookDelivery
    counts = dict(
        db.session.execute(
            sa.select(D.state, sa.func.count())
            .where(D.endpoint_id == endpoint.id, D.created_at >= since)
            .group_by(D.state)
        ).all()
    )
    return SuccessRate(counts.get(SUCCEEDED, 0), counts.get(FAILED, 0), counts.get(PENDING, 0))


def _failed_since(endpoint: WebhookEndpoint, since: datetime):
    D = WebhookDelivery
    return (D.endpoint_id == endpoint.id, D.state == FAILED, D.created_at >= since)


def count_failed_since(endpoint: WebhookEndpoint, since: datetime) -> int:
    """How many deliveries a replay from ``since`` would queue again."""
    statement = sa.select(sa.func.count()).where(*_failed_since(endpoint, since))
    return db.session.execute(statement).scalar_one()


def replay_failed_since(endpoint: WebhookEndpoint, since: datetime, actor: str | None) -> int:
    """Queue every failed delivery created since ``since`` for an attempt now; audited.

    Each keeps its attempt count, so a failing replay follows the retry schedule from
    there (at most one more attempt once the schedule is spent). Returns how many.
    """
    if not endpoint.is_active:
        raise Conflict("The webhook is disabled; activate it before replaying.")
    now = utcnow()
    replayed = db.session.execute(
        sa.update(WebhookDelivery)
        .where(*_failed_since(endpoint, since))
        .values(state=PENDING, next_attempt_at=now, completed_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    details = {"since": since.isoformat(), "deliveries": replayed}
    audit.stage("webhook.replayed", actor, ("webhook", endpoint.id), details)
    # Wake the workers on commit, as an emitted event would.
    db.session.info[events.EMITTED] = True
    db.session.commit()
    return replayed
