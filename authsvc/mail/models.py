"""The mail outbox (one row per message, staged with the change that causes it) and the
requests for mail that the worker composes (see :mod:`authsvc.mail.requests`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, Timestamps, utcnow

STATUSES = ("queued", "sent", "failed")


class MailMessage(TenantScoped, Timestamps, Base):
    """A message to send. Bodies are erased once the message is sent or given up on,
    because they may carry single-use links (verification, password reset)."""

    __tablename__ = "mail_messages"
    __table_args__ = (
        sa.Index("ix_mail_messages_due", "status", "next_attempt_at"),
        # Per-recipient caps count a recipient's recent mails of one template (mail.caps).
        sa.Index("ix_mail_messages_recipient", "tenant_id", "recipient", "template", "created_at"),
    )

    recipient: Mapped[str] = mapped_column(sa.String(254))
    sender: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str | None] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    template: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    sent_at: Mapped[datetime | None]


class MailRequest(TenantScoped, Base):
    """Mail asked for an address, composed later by the worker (or found to be for nobody)."""

    __tablename__ = "mail_requests"
    __table_args__ = (sa.Index("ix_mail_requests_created", "created_at"),)

    kind: Mapped[str] = mapped_column(sa.String(64))
    address: Mapped[str] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
