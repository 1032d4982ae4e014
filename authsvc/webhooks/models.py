"""Webhook endpoints of a tenant and the deliveries of events to them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, Timestamps, tenant_fk

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
STATES = (PENDING, SUCCEEDED, FAILED)


class WebhookEndpoint(TenantScoped, Timestamps, Base):
    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(sa.String(2048))
    description: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Exact types, wildcards such as ``user.*``, or ``*`` for every event.
    event_types: Mapped[list[str]] = mapped_column(default=lambda: ["*"])
    is_active: Mapped[bool] = mapped_column(default=True)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(200))
    # Signing secrets are needed in the clear to sign, so they are sealed
    # (authsvc.secretbox, under a key derived from SECRET_KEY) rather than hashed.
    secret_sealed: Mapped[str] = mapped_column(sa.String(200))
    previous_secret_sealed: Mapped[str | None] = mapped_column(sa.String(200))
    previous_secret_expires_at: Mapped[datetime | None]
    #: First failure since the last success; drives auto-disable.
    failing_since: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]

    def subscribes(self, event_type: str) -> bool:
        for pattern in self.event_types:
            if pattern in ("*", event_type):
                return True
            if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
                return True
        return False


class WebhookDelivery(TenantScoped, Timestamps, Base):
    """One event for one endpoint; the latest attempt's outcome is kept on the row."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        tenant_fk("endpoint_id", "webhook_endpoints", ondelete="CASCADE"),
        tenant_fk("event_id", "events", ondelete="CASCADE"),
        # Fan-out may run twice for an event after a crash; the database keeps one delivery.
        sa.UniqueConstraint("tenant_id", "endpoint_id", "event_id"),
        sa.Index("ix_webhook_deliveries_event", "tenant_id", "event_id"),
        sa.Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )

    endpoint_id: Mapped[uuid.UUID]
    event_id: Mapped[uuid.UUID]
    event_type: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    #: The worker holding the delivery and until when; an expired lease is free again.
    locked_by: Mapped[str | None] = mapped_column(sa.String(100))
    locked_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None]
    last_latency_ms: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    last_response: Mapped[str | None] = mapped_column(sa.Text)
    completed_at: Mapped[datetime | None]


class WebhookAttempt(TenantScoped, Base):
    """One HTTP attempt of a delivery, as sent and as answered, for the delivery log.

    The request body is kept as signed, up to ``WEBHOOKS_LOG_BODY_BYTES``; the answer is
    kept as the sender reads it (its first KiB), so a row stays small.
    """

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        tenant_fk("delivery_id", "webhook_deliveries", ondelete="CASCADE"),
        sa.Index("ix_webhook_attempts_delivery", "tenant_id", "delivery_id", "number"),
    )

    delivery_id: Mapped[uuid.UUID]
    number: Mapped[int]
    sent_at: Mapped[datetime]
    latency_ms: Mapped[int] = mapped_column(default=0)
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.String(500))
    request_headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    request_body: Mapped[str] = mapped_column(sa.Text, default="")
    response_headers: Mapped[dict[str, Any] | None]
    response_body: Mapped[str | None] = mapped_column(sa.Text)
