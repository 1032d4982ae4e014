"""REST resources for webhook endpoints and their delivery log (scope ``webhooks``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_restx import Namespace, Resource, reqparse

from authsvc.api.docs import document_errors
from authsvc.api.validation import expect_json, register_models
from authsvc.apikeys.authentication import current_principal, require_scope
from authsvc.audit.service import parse_time
from authsvc.errors import ValidationFailed
from authsvc.pagination import page_limit
from authsvc.users.api import parse_query
from authsvc.webhooks import deliveries, service
from authsvc.webhooks.models import STATES
from authsvc.webhooks.schemas import (
    DELIVERY_MODELS,
    WEBHOOK_MODELS,
    delivery_detail,
    delivery_out,
    delivery_page,
    replay_in,
    replay_out,
    webhook_in,
    webhook_out,
    webhook_page,
    webhook_patch,
    webhook_with_secret,
)

ns = Namespace(
    "webhooks",
    description="Webhook endpoints: signed Standard Webhooks messages for the tenant's events. "
    "Delivery is at least once and order is not guaranteed: de-duplicate on `webhook-id`.",
)
register_models(ns, *WEBHOOK_MODELS, *DELIVERY_MODELS)

page_args = reqparse.RequestParser()
page_args.add_argument("cursor", type=str, help="Cursor from the previous page")
page_args.add_argument("limit", type=int, help="Page size, 1 to 200 (default 50)")

delivery_args = page_args.copy()
delivery_args.add_argument("state", type=str, help="pending, succeeded or failed")


@ns.route("")
class WebhookList(Resource):
    @require_scope("webhooks")
    @ns.expect(page_args)
    @ns.marshal_with(webhook_page)
    @document_errors(ns, 403, 422)
    def get(self):
        """List the tenant's webhooks, oldest first."""
        args = parse_query(page_args)
        return service.list_webhooks(args["cursor"], page_limit(args["limit"]))

    @require_scope("webhooks")
    @expect_json(ns, webhook_in)
    @ns.marshal_with(webhook_with_secret, code=201, description="Created; `secret` shown only now")
    @document_errors(ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Create a webhook. Private, loopback and metadata addresses are refused (422)."""
        endpoint, secret = service.create_webhook(body, actor=current_principal().actor)
        endpoint.secret = secret
        return endpoint, 201


@ns.route("/<string:webhook_id>")
@ns.param("webhook_id", "The webhook's id")
class WebhookItem(Resource):
    @require_scope("webhooks")
    @ns.marshal_with(webhook_out)
    @document_errors(ns, 403, 404)
    def get(self, webhook_id):
        """Read a webhook (never its secret)."""
        return service.get_webhook(webhook_id)

    @require_scope("webhooks")
    @expect_json(ns, webhook_patch)
    @ns.marshal_with(webhook_out)
    @document_errors(ns, 400, 403, 404, 413, 415, 422)
    def patch(self, webhook_id, body):
        """Change the URL, description, event types, or activate/deactivate."""
        endpoint = service.get_webhook(webhook_id)
        return service.update_webhook(endpoint, body, actor=current_principal().actor)

    @require_scope("webhooks")
    @ns.response(204, "Deleted")
    @document_errors(ns, 403, 404)
    def delete(self, webhook_id):
        """Delete a webhook and its delivery log."""
        service.delete_webhook(service.get_webhook(webhook_id), actor=current_principal().actor)
        return "", 204


@ns.route("/<string:webhook_id>/rotate-secret")
@ns.param("webhook_id", "The webhook's id")
class WebhookSecret(Resource):
    @require_scope("webhooks")
    @ns.marshal_with(webhook_with_secret, description="The new `secret`, shown only now")
    @document_errors(ns, 403, 404)
    def post(self, webhook_id):
        """Rotate the signing secret; the old one keeps signing too during the grace period."""
        endpoint = service.get_webhook(webhook_id)
        endpoint, secret = service.rotate_secret(endpoint, actor=current_principal().actor)
        endpoint.secret = secret
        return endpoint


@ns.route("/<string:webhook_id>/test")
@ns.param("webhook_id", "The webhook's id")
class WebhookTest(Resource):
    @require_scope("webhooks")
    @ns.marshal_with(delivery_out, code=202, description="Queued")
    @document_errors(ns, 403, 404, 409)
    def post(self, webhook_id):
        """Send a `webhook.test` event to this webhook only."""
        endpoint = service.get_webhook(webhook_id)
        return service.send_test(endpoint, actor=current_principal().actor), 202


@ns.route("/<string:webhook_id>/deliveries")
@ns.param("webhook_id", "The webhook's id")
class DeliveryList(Resource):
    @require_scope("webhooks")
    @ns.expect(delivery_args)
    @ns.marshal_with(delivery_page)
    @document_errors(ns, 403, 404, 422)
    def get(self, webhook_id):
        """The webhook's deliveries, newest first: attempts, last answer, next attempt."""
        args = parse_query(delivery_args)
        if args["state"] is not None and args["state"] not in STATES:
            raise ValidationFailed(errors={"state": ["Must be one of: " + ", ".join(STATES)]})
        endpoint = service.get_webhook(webhook_id)
        return service.list_deliveries(
            endpoint, args["state"], args["cursor"], page_limit(args["limit"])
        )


@ns.route("/<string:webhook_id>/deliveries/<string:delivery_id>/retry")
@ns.param("webhook_id", "The webhook's id")
@ns.param("delivery_id", "The delivery's id")
class DeliveryRetry(Resource):
    @require_scope("webhooks")
    @ns.marshal_with(delivery_out, code=202, description="Queued for an attempt now")
    @document_errors(ns, 403, 404, 409)
    def post(self, webhook_id, delivery_id):
        """Send a delivery again now."""
        return service.retry_delivery(service.get_webhook(webhook_id), delivery_id), 202


@ns.route("/<string:webhook_id>/deliveries/<string:delivery_id>")
@ns.param("webhook_id", "The webhook's id")
@ns.param("delivery_id", "The delivery's id")
class DeliveryItem(Resource):
    @require_scope("webhooks")
    @ns.marshal_with(delivery_detail)
    @document_errors(ns, 403, 404)
    def get(self, webhook_id, delivery_id):
        """A delivery with each attempt: the request as signed, the answer, time and latency."""
        delivery = deliveries.get_delivery(service.get_webhook(webhook_id), delivery_id)
        return {
            **{c.key: getattr(delivery, c.key) for c in sa.inspect(delivery).mapper.column_attrs},
            "attempt_log": deliveries.attempts(delivery),
        }


@ns.route("/<string:webhook_id>/replay")
@ns.param("webhook_id", "The webhook's id")
class WebhookReplay(Resource):
    @require_scope("webhooks")
    @expect_json(ns, replay_in)
    @ns.marshal_with(replay_out, code=202, description="Queued for an attempt now")
    @document_errors(ns, 400, 403, 404, 409, 415, 422)
    def post(self, webhook_id, body):
        """Send every failed delivery created since ``since`` again now (audited)."""
        endpoint = service.get_webhook(webhook_id)
        try:
            since = parse_time(body["since"])
        except ValueError as error:
            raise ValidationFailed(errors={"since": [str(error)]}) from error
        actor = current_principal().actor
        return {"replayed": deliveries.replay_failed_since(endpoint, since, actor)}, 202
