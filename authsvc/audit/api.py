"""REST resource for the audit log (scope ``audit:read``)."""

from __future__ import annotations

from flask_restx import Model, Namespace, Resource, fields, reqparse

from authsvc.api.docs import EXAMPLE_TIME, document_errors
from authsvc.api.validation import register_models
from authsvc.apikeys.authentication import require_scope
from authsvc.audit import service
from authsvc.pagination import page_limit
from authsvc.users.api import parse_query

ns = Namespace("audit", description="The tenant's append-only audit log")

entry_out = Model(
    "AuditEntry",
    {
        "id": fields.String(example="0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "actor_type": fields.String(
            example="api_key", description="user, api_key, admin or system"
        ),
        "actor_id": fields.String(example="k3j5n2p7q4r6"),
        "action": fields.String(example="user.updated"),
        "target_type": fields.String(example="user"),
        "target_id": fields.String(example="0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"),
        "ip": fields.String(example="203.0.113.7"),
        "user_agent": fields.String(example="Mozilla/5.0"),
        "request_id": fields.String(example="126f6490cd895bff"),
        "changes": fields.Raw(example={"changed": ["display_name"]}),
    },
)
entry_page = Model(
    "AuditPage",
    {
        "items": fields.List(fields.Nested(entry_out)),
        "next_cursor": fields.String(example="AZDRxForfD2OTwobLD1OXw"),
    },
)
register_models(ns, entry_out, entry_page)

args = reqparse.RequestParser()
args.add_argument("cursor", type=str, help="Cursor from the previous page")
args.add_argument("limit", type=int, help="Page size, 1 to 200")
for _name in ("actor_type", "actor_id", "action", "target_type", "target_id"):
    args.add_argument(_name, type=str, help=f"Exact {_name.replace('_', ' ')}")
args.add_argument("since", type=service.parse_time, help="ISO 8601 time with zone, inclusive")
args.add_argument("until", type=service.parse_time, help="ISO 8601 time with zone, exclusive")


@ns.route("")
class AuditList(Resource):
    @require_scope("audit:read")
    @ns.expect(args)
    @ns.marshal_with(entry_page)
    @document_errors(ns, 403, 422)
    def get(self):
        """Search the audit log, newest first, with cursor pagination."""
        query = parse_query(args)
        return service.search(query, query["cursor"], page_limit(query["limit"]))
