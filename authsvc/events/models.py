"""The event outbox table: one row per emitted event, consumed by webhook fan-out."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, utcnow


class Event(TenantScoped, Base):
    __tablename__ = "events"
    __table_args__ = (
        sa.Index("ix_events_created_at", "created_at"),
        sa.Index("ix_events_dispatched_at", "dispatched_at"),
    )

    type: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    actor: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the webhook dispatcher has fanned the event out to deliveries.
    dispatched_at: Mapped[datetime | None]
