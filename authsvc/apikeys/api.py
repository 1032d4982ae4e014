"""REST resources for the tenant's API keys (scope ``admin``)."""

from __future__ import annotations

from datetime import datetime

from flask_restx import Model, Namespace, Resource, fields

from authsvc.api.docs import EXAMPLE_TIME, document_errors
from authsvc.api.validation import NullableDateTime, expect_json, register_models
from authsvc.apikeys import service
from authsvc.apikeys.authentication import current_principal, require_scope
from authsvc.apikeys.models import SCOPES
from authsvc.errors import ValidationFailed

ns = Namespace("api-keys", description="API keys of the tenant (shown once at creation)")

api_key_out = Model(
    "ApiKey",
    {
        "id": fields.String(example="0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"),
        "name": fields.String(example="backend"),
        "prefix": fields.String(example="k3j5n2p7q4r6"),
        "scopes": fields.List(fields.String, example=["users:read", "users:write"]),
        "expires_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "revoked_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "last_used_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)
api_key_created = api_key_out.inherit(
    "ApiKeyCreated",
    {
        "key": fields.String(
            description="The key itself. Shown only in this response; store it now.",
            example="ak_k3j5n2p7q4r6_Jq3...",
        )
    },
)
api_key_in = Model(
    "ApiKeyCreate",
    {
        "name": fields.String(required=True, min_length=1, max_length=100, example="backend"),
        "scopes": fields.List(
            fields.String(enum=sorted(SCOPES)),
            required=True,
            description="Any of: " + ", ".join(f"`{s}`" for s in SCOPES),
            example=["users:read"],
        ),
        "expires_at": NullableDateTime(dt_format="iso8601", example="2027-01-01T00:00:00Z"),
    },
    strict=True,
)
register_models(ns, api_key_out, api_key_created, api_key_in)


def parse_datetime(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ValidationFailed(errors={field: ["Use an ISO 8601 date-time with a time zone."]})
    return parsed


@ns.route("")
class ApiKeyList(Resource):
    @require_scope("admin")
    @ns.marshal_list_with(api_key_out)
    @document_errors(ns, 403)
    def get(self):
        """List the tenant's active API keys (never their secrets)."""
        return service.list_api_keys()

    @require_scope("admin")
    @expect_json(ns, api_key_in)
    @ns.marshal_with(api_key_created, code=201, description="Created; `key` is shown only now")
    @document_errors(ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Create an API key."""
        key, plaintext = service.create_api_key(
            body["name"],
            body["scopes"],
            parse_datetime(body.get("expires_at"), "expires_at"),
            actor=current_principal().actor,
        )
        key.key = plaintext
        return key, 201


@ns.route("/<string:key_id>")
@ns.param("key_id", "The API key's id")
class ApiKeyItem(Resource):
    @require_scope("admin")
    @ns.response(204, "Revoked")
    @document_errors(ns, 403, 404)
    def delete(self, key_id):
        """Revoke an API key; every process refuses it within 30 seconds."""
        service.revoke_api_key(service.get_api_key(key_id), actor=current_principal().actor)
        return "", 204
