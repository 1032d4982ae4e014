"""Endpoint health: success resets the failure clock; long failure or 410 disables.

Disabling stages, in the same transaction, a ``webhook.disabled`` event and an
email (template ``webhook_disabled``) to each active admin of the tenant.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from authsvc import events
from authsvc.admins.models import Admin, AdminMembership
from authsvc.extensions import db
from authsvc.mail.service import queue_mail
from authsvc.webhooks.models import WebhookEndpoint

log = logging.getLogger(__name__)
ACTOR = "system:webhooks"


def mark_success(endpoint_id: uuid.UUID, now: datetime) -> None:
    db.session.execute(
        sa.update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(failing_since=None, last_success_at=now)
        .execution_options(synchronize_session=False)
    )


def mark_failure(
    endpoint_id: uuid.UUID, failing_since: datetime | None, now: datetime, outcome
) -> None:
    if outcome.gone:
        disable(endpoint_id, "the receiver answered 410 Gone", outcome.error)
        return
    if failing_since is None:
        db.session.execute(
            sa.update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.failing_since.is_(None))
            .values(failing_since=now)
            .execution_options(synchronize_session=False)
        )
        failing_since = now
    limit = current_app.config["WEBHOOKS_DISABLE_AFTER_SECONDS"]
    if now - failing_since >= timedelta(seconds=limit):
        since = failing_since.strftime("%Y-%m-%d %H:%M UTC")
        disable(endpoint_id, f"every delivery has failed since {since}", outcome.error)


def disable(endpoint_id: uuid.UUID, reason: str, last_error: str | None = None) -> None:
    """Deactivate an active endpoint, staging the event and the admins' email."""
    endpoint = db.session.execute(
        sa.select(WebhookEndpoint).where(
            WebhookEndpoint.id == endpoint_id, WebhookEndpoint.is_active.is_(True)
        )
    ).scalar_one_or_none()
    if endpoint is None:
        return  # Already disabled by another attempt.
    endpoint.is_active = False
    endpoint.disabled_reason = reason[:200]
    summary = {"id": str(endpoint.id), "url": endpoint.url, "description": endpoint.description}
    events.emit("webhook.disabled", {"webhook": summary, "reason": reason}, actor=ACTOR)
    _email_admins(endpoint, reason, last_error)
    log.warning("webhook %s disabled: %s", endpoint.id, reason)


def _email_admins(endpoint: WebhookEndpoint, reason: str, last_error: str | None) -> None:
    admins = db.session.execute(
        sa.select(Admin.email)
        .join(AdminMembership, AdminMembership.admin_id == Admin.id)
        .where(AdminMembership.tenant_id == endpoint.tenant_id, Admin.is_active.is_(True))
    ).scalars()
    context = {
        "endpoint_url": endpoint.url,
        "reason": reason,
        "last_error": last_error,
        "manage_url": None,
    }
    for email in admins:
        queue_mail(to=email, template="webhook_disabled", context=context)
