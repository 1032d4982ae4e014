"""AuditEntry: one row per audited action; never deleted, updated only by a GDPR erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, utcnow


class AuditEntry(TenantScoped, Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_action", "tenant_id", "action"),
        # The log is read newest first (created_at, then id for ties).
        sa.Index("ix_audit_entries_created_at", "tenant_id", "created_at", "id"),
    )

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_type: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[str | None] = mapped_column(sa.String(200))
    action: Mapped[str] = mapped_column(sa.String(64))
    target_type: Mapped[str | None] = mapped_column(sa.String(32))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(512))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
