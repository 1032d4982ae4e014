"""REST resource for the tenant's recent events (scope ``audit:read``).

A consumer that missed webhooks (down longer than the retry schedule) catches
up here: events oldest first, cursor-paginated, optionally by type.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_restx import Namespace, Resource

from authsvc.api.docs import document_errors
from authsvc.api.validation import register_models
from authsvc.apikeys.authentication import require_scope
from authsvc.events import Event
from authsvc.extensions import db
from authsvc.pagination import page_limit, paginate
from authsvc.users.api import parse_query
from authsvc.webhooks.api import page_args
from authsvc.webhooks.schemas import EVENT_MODELS, event_page

ns = Namespace("events", description="The tenant's recent events (the webhook payloads)")
register_models(ns, *EVENT_MODELS)

event_args = page_args.copy()
event_args.add_argument("type", type=str, help="Only events of this type, e.g. user.created")


@ns.route("")
class EventList(Resource):
    @require_scope("audit:read")
    @ns.expect(event_args)
    @ns.marshal_with(event_page)
    @document_errors(ns, 403, 422)
    def get(self):
        """List events, oldest first, kept for `AUTHSVC_WEBHOOKS_RETENTION_DAYS`."""
        args = parse_query(event_args)
        statement = sa.select(Event)
        if args["type"]:
            statement = statement.where(Event.type == args["type"])
        return paginate(db.session, statement, Event.id, args["cursor"], page_limit(args["limit"]))
