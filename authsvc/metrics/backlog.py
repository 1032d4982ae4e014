"""Gauges read from the database when Prometheus scrapes: the webhook and mail backlogs.

A backlog is a fact of the shared database, not of one process, so it is
counted at scrape time (a few indexed aggregate queries, across tenants in
``platform_scope()``) rather than kept in every process's counters.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Flask
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from authsvc.db import utcnow
from authsvc.events.models import Event
from authsvc.extensions import db
from authsvc.mail.models import MailMessage, MailRequest
from authsvc.tenancy import platform_scope
from authsvc.webhooks.models import PENDING, WebhookDelivery

PREFIX = "authsvc_"


def _age(now: datetime, moment: datetime | None) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        # SQLite hands timestamps back without their zone; they are stored in UTC.
        moment = moment.replace(tzinfo=now.tzinfo)
    return max((now - moment).total_seconds(), 0.0)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(PREFIX + name, documentation, value=value)


def _webhooks(now: datetime) -> list[GaugeMetricFamily]:
    D = WebhookDelivery
    pending, due, oldest_due = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(D.next_attempt_at <= now),
            sa.func.min(D.next_attempt_at).filter(D.next_attempt_at <= now),
        ).where(D.state == PENDING)
    ).one()
    undispatched, oldest_event = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(Event.created_at)).where(
            Event.dispatched_at.is_(None)
        )
    ).one()
    return [
        _gauge("webhook_queue_depth", "Webhook deliveries pending (due or waiting).", pending),
        _gauge("webhook_queue_due", "Webhook deliveries due now and not yet sent.", due),
        _gauge(
            "webhook_queue_oldest_pending_age_seconds",
            "How long the longest-waiting due delivery has been due.",
            _age(now, oldest_due),
        ),
        _gauge(
            "events_undispatched",
            "Events not yet fanned out to webhook deliveries.",
            undispatched,
        ),
        _gauge(
            "events_oldest_undispatched_age_seconds",
            "Age of the oldest event not yet fanned out.",
            _age(now, oldest_event),
        ),
    ]


def _mail() -> list[GaugeMetricFamily]:
    queued = db.session.scalar(
        sa.select(sa.func.count()).select_from(MailMessage).where(MailMessage.status == "queued")
    )
    requested = db.session.scalar(sa.select(sa.func.count()).select_from(MailRequest))
    return [
        _gauge("mail_outbox_depth", "Mail messages queued for sending.", queued),
        _gauge("mail_requests_pending", "Mail requests not yet composed.", requested),
    ]


def _pool() -> list[GaugeMetricFamily]:
    size = getattr(db.engine.pool, "size", None)
    if size is None:
        return []
    return [_gauge("db_pool_size", "Connections each process's pool keeps open.", size())]


class BacklogCollector(Collector):
    """Reads the backlogs of ``app``'s database on each collection."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        # A context of its own: its session (and transaction) ends with the collection.
        with self.app.app_context(), platform_scope():
            yield from _webhooks(utcnow())
            yield from _mail()
            yield from _pool()
