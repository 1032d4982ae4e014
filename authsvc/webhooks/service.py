"""Webhook endpoint management and the delivery log, shared by the API and the admin panel.

Write functions stage their change (and any event) and commit; callers never
commit. Lookups run under the bound tenant, so another tenant's webhook or
delivery is simply not found. A secret is returned only by
:func:`create_webhook` and :func:`rotate_secret`. Creating, changing, rotating
and deleting an endpoint are audited (fields before and after; the secret only
as ``created`` or ``rotated``) in the transaction of the change.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from authsvc import events
from authsvc.audit import service as audit
from authsvc.audit.changes import diff, snapshot
from authsvc.db import utcnow
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.pagination import Page, paginate, paginate_newest_first
from authsvc.webhooks import signing, targets
from authsvc.webhooks.models import PENDING, SUCCEEDED, WebhookDelivery, WebhookEndpoint


def check_event_types(patterns: list[str]) -> list[str]:
    """Exact types, ``prefix.*`` wildcards matching some type, or ``*``; else a 422."""
    bad = []
    for pattern in patterns:
        if pattern == "*" or pattern in events.EVENT_TYPES:
            continue
        prefix = pattern[:-1] if pattern.endswith(".*") else None
        if not (prefix and any(t.startswith(prefix) for t in events.EVENT_TYPES)):
            bad.append(f"Unknown event type or pattern: {pattern}.")
    if bad:
        raise ValidationFailed(errors={"event_types": bad})
    if not patterns:
        raise ValidationFailed(errors={"event_types": ["Give at least one type, or ['*']."]})
    return sorted(set(patterns))


def check_url(url: str) -> str:
    try:
        targets.check(url, current_app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"], must_resolve=False)
    except targets.TargetRefused as exc:
        message = "The webhook URL is not allowed."
        raise ValidationFailed(message, errors={"url": [str(exc)]}) from exc
    return url


#: The endpoint fields an audit row shows before and after a change.
AUDITED_FIELDS = ("url", "description", "event_types", "is_active")


def _audit(action: str, endpoint: WebhookEndpoint, actor: str | None, fields: dict) -> None:
    audit.stage(action, actor, ("webhook", endpoint.id), {"fields": fields})


def create_webhook(data: dict[str, Any], actor: str | None = None) -> tuple[WebhookEndpoint, str]:
    """Create an endpoint; returns it and its signing secret, shown only now."""
    secret = signing.generate_secret()
    endpoint = WebhookEndpoint(
        url=check_url(data["url"]),
        description=data.get("description") or "",
        event_types=check_event_types(data.get("event_types", ["*"])),
        is_active=data.get("is_active", True),
        secret_sealed=signing.seal(secret),
    )
    db.session.add(endpoint)
    db.session.flush()
    fields = diff({}, snapshot(endpoint, AUDITED_FIELDS))
    _audit("webhook.created", endpoint, actor, {**fields, "secret": "created"})
    db.session.commit()
    return endpoint, secret


def list_webhooks(cursor: str | None, limit: int) -> Page:
    return paginate(db.session, sa.select(WebhookEndpoint), WebhookEndpoint.id, cursor, limit)


def get_webhook(webhook_id: str | uuid.UUID) -> WebhookEndpoint:
    statement = sa.select(WebhookEndpoint).where(
        WebhookEndpoint.id == parse_id(webhook_id, "webhook")
    )
    endpoint = db.session.execute(statement).scalar_one_or_none()
    if endpoint is None:
        raise NotFound(f"No webhook with id {webhook_id}.")
    return endpoint


def update_webhook(
    endpoint: WebhookEndpoint, data: dict[str, Any], actor: str | None = None
) -> WebhookEndpoint:
    before = snapshot(endpoint, AUDITED_FIELDS)
    if "url" in data:
        endpoint.url = check_url(data["url"])
    if "description" in data:
        endpoint.description = data["description"] or ""
    if "event_types" in data:
        endpoint.event_types = check_event_types(data["event_types"])
    if "is_active" in data:
        if data["is_active"] and not endpoint.is_active:
            # Re-enabled by a person: start the failure clock afresh.
            endpoint.disabled_reason, endpoint.failing_since = None, None
        endpoint.is_active = data["is_active"]
    fields = diff(before, snapshot(endpoint, AUDITED_FIELDS))
    _audit("webhook.updated", endpoint, actor, fields)
    db.session.commit()
    return endpoint


def delete_webhook(endpoint: WebhookEndpoint, actor: str | None = None) -> None:
    """Delete an endpoint and its delivery log."""
    _audit("webhook.deleted", endpoint, actor, diff(snapshot(endpoint, AUDITED_FIELDS), {}))
    db.session.execute(sa.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.commit()


def rotate_secret(
    endpoint: WebhookEndpoint, actor: str | None = None
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the old one keeps signing too for ``WEBHOOKS_SECRET_GRACE_SECONDS``."""
    secret = signing.generate_secret()
    grace = current_app.config["WEBHOOKS_SECRET_GRACE_SECONDS"]
    endpoint.previous_secret_sealed = endpoint.secret_sealed
    endpoint.previous_secret_expires_at = utcnow() + timedelta(seconds=grace)
    endpoint.secret_sealed = signing.seal(secret)
    _audit("webhook.secret_rotated", endpoint, actor, {"secret": "rotated"})
    db.session.commit()
    return endpoint, secret


def send_test(endpoint: WebhookEndpoint, actor: str | None) -> WebhookDelivery:
    """Queue a ``webhook.test`` event for this endpoint only (even if it is inactive or
    does not subscribe to it), so a receiver can be checked before it goes live."""
    if not endpoint.is_active:
        raise Conflict("The webhook is disabled; activate it before testing.")
    summary = {"id": str(endpoint.id), "url": endpoint.url}
    event = events.emit("webhook.test", {"webhook": summary, "message": "Hello!"}, actor=actor)
    # Dispatched by hand: the fan-out must not send the test to other endpoints.
    event.dispatched_at = utcnow()
    db.session.flush()
    delivery = WebhookDelivery(
        endpoint_id=endpoint.id,
        event_id=event.id,
        event_type=event.type,
        next_attempt_at=utcnow(),
    )
    db.session.add(delivery)
    db.session.commit()
    return delivery


def list_deliveries(
    endpoint: WebhookEndpoint, state: str | None, cursor: str | None, limit: int
) -> Page:
    """The endpoint's deliveries, newest first, optionally filtered by state."""
    statement = sa.select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if state:
        statement = statement.where(WebhookDelivery.state == state)
    return paginate_newest_first(db.session, statement, WebhookDelivery.id, cursor, limit)


def retry_delivery(endpoint: WebhookEndpoint, delivery_id: str) -> WebhookDelivery:
    """Send a pending or failed delivery now (a succeeded one is a 409); if that attempt
    fails, the retry schedule continues from the delivery's attempt count."""
    delivery = db.session.execute(
        sa.select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id,
            WebhookDelivery.id == parse_id(delivery_id, "delivery"),
        )
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound(f"No delivery with id {delivery_id} for this webhook.")
    if delivery.state == SUCCEEDED:
        raise Conflict("The delivery has succeeded; only pending or failed ones are retried.")
    if not endpoint.is_active:
        raise Conflict("The webhook is disabled; activate it before retrying.")
    if delivery.locked_until is not None and delivery.locked_until > utcnow():
        raise Conflict("The delivery is being sent right now.")
    delivery.state, delivery.next_attempt_at, delivery.completed_at = PENDING, utcnow(), None
    # Wake workers on commit as an emitted event would (NOTIFY, in-process wake-up).
    db.session.info[events.EMITTED] = True
    db.session.commit()
    return delivery
