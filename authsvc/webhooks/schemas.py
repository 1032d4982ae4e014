"""restx models for webhooks, deliveries and events: documentation, validation, output."""

from __future__ import annotations

from flask_restx import Model, fields

from authsvc.api.docs import EXAMPLE_TIME
from authsvc.api.validation import JsonObject, NullableString
from authsvc.webhooks.models import STATES

EXAMPLE_ID = "0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"
CURSOR_HELP = "Pass as `cursor` for the next page; null on the last page"

_event_types = fields.List(
    fields.String(max_length=64),
    description="Exact types (`user.created`), wildcards (`user.*`) or `*` for every event",
    example=["user.*", "session.revoked"],
)

webhook_out = Model(
    "Webhook",
    {
        "id": fields.String(example=EXAMPLE_ID),
        "url": fields.String(example="https://app.example.com/hooks/authsvc"),
        "description": fields.String(example="Sync users to the CRM"),
        "event_types": fields.List(fields.String, example=["user.*"]),
        "is_active": fields.Boolean(example=True),
        "disabled_reason": fields.String(
            description="Why the platform disabled it (410 Gone, failing for days)",
            example=None,
        ),
        "previous_secret_expires_at": fields.DateTime(
            dt_format="iso8601",
            description="Until then the previous secret also signs (after a rotation)",
            example=EXAMPLE_TIME,
        ),
        "failing_since": fields.DateTime(dt_format="iso8601", example=None),
        "last_success_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "updated_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)
webhook_with_secret = webhook_out.inherit(
    "WebhookWithSecret",
    {
        "secret": fields.String(
            description="Signing secret for Standard Webhooks verification. Shown only in this "
            "response; store it now.",
            example="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        )
    },
)
webhook_in = Model(
    "WebhookCreate",
    {
        "url": fields.String(
            required=True,
            max_length=2048,
            pattern=r"^https?://",
            example="https://app.example.com/hooks/authsvc",
        ),
        "description": NullableString(max_length=500, example="Sync users to the CRM"),
        "event_types": _event_types,
        "is_active": fields.Boolean(example=True),
    },
    strict=True,
)
webhook_patch = Model(
    "WebhookUpdate",
    {
        "url": fields.String(
            max_length=2048, pattern=r"^https?://", example="https://app.example.com/hooks/v2"
        ),
        "description": NullableString(max_length=500, example="Sync users to the CRM"),
        "event_types": _event_types,
        "is_active": fields.Boolean(description="true re-enables a disabled webhook", example=True),
    },
    strict=True,
)
webhook_page = Model(
    "WebhookPage",
    {
        "items": fields.List(fields.Nested(webhook_out)),
        "next_cursor": fields.String(description=CURSOR_HELP, example=None),
    },
)

delivery_out = Model(
    "WebhookDelivery",
    {
        "id": fields.String(example=EXAMPLE_ID),
        "event_id": fields.String(description="Also the `webhook-id` header", example=EXAMPLE_ID),
        "event_type": fields.String(example="user.created"),
        "state": fields.String(enum=list(STATES), example="pending"),
        "attempt": fields.Integer(attribute="attempts", description="Attempts made", example=2),
        "status_code": fields.Integer(attribute="last_status_code", example=503),
        "latency_ms": fields.Integer(attribute="last_latency_ms", example=84),
        "error": fields.String(attribute="last_error", example="HTTP 503"),
        "response_body": fields.String(
            attribute="last_response",
            description="The first 1 KiB of the receiver's answer",
            example="Service Unavailable",
        ),
        "next_attempt_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "completed_at": fields.DateTime(dt_format="iso8601", example=None),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "updated_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)
delivery_page = Model(
    "WebhookDeliveryPage",
    {
        "items": fields.List(fields.Nested(delivery_out)),
        "next_cursor": fields.String(description=CURSOR_HELP, example=None),
    },
)

event_out = Model(
    "Event",
    {
        "id": fields.String(example=EXAMPLE_ID),
        "type": fields.String(example="user.created"),
        "data": JsonObject(example={"user": {"id": EXAMPLE_ID, "email": "ada@example.com"}}),
        "actor": fields.String(example="apikey:k3j5n2p7q4r6"),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)
event_page = Model(
    "EventPage",
    {
        "items": fields.List(fields.Nested(event_out)),
        "next_cursor": fields.String(description=CURSOR_HELP, example="AZDRxForfD2OTwobLD1OXw"),
    },
)

attempt_out = Model(
    "WebhookAttempt",
    {
        "number": fields.Integer(description="1 for the first attempt", example=1),
        "sent_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "latency_ms": fields.Integer(example=84),
        "status_code": fields.Integer(description="Null when nothing answered", example=503),
        "error": fields.String(example="HTTP 503"),
        "request_headers": JsonObject(
            description="As sent and signed",
            example={"webhook-id": EXAMPLE_ID, "webhook-signature": "v1,..."},
        ),
        "request_body": fields.String(description="The signed body, as sent"),
        "response_headers": JsonObject(example={"content-type": "text/plain"}),
        "response_body": fields.String(
            description="The first 1 KiB of the answer", example="Service Unavailable"
        ),
    },
)
delivery_detail = Model.inherit(
    "WebhookDeliveryDetail",
    delivery_out,
    {"attempts": fields.List(fields.Nested(attempt_out), attribute="attempt_log")},
)
replay_in = Model(
    "WebhookReplay",
    {
        "since": fields.String(
            required=True,
            description="ISO 8601 time with a zone: failed deliveries created since then",
            example=EXAMPLE_TIME,
        )
    },
)
replay_out = Model(
    "WebhookReplayed",
    {"replayed": fields.Integer(description="Deliveries queued for an attempt now", example=3)},
)

WEBHOOK_MODELS = (webhook_out, webhook_with_secret, webhook_in, webhook_patch, webhook_page)
DELIVERY_MODELS = (delivery_out, delivery_page, attempt_out, delivery_detail, replay_in, replay_out)
EVENT_MODELS = (event_out, event_page)
