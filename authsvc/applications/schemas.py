"""restx models for applications and grants: documentation, validation, output."""

from __future__ import annotations

from flask_restx import Model, fields

from authsvc.api.docs import EXAMPLE_TIME
from authsvc.api.validation import Nullable
from authsvc.applications.models import CLIENT_TYPES, GRANT_TYPES, SCOPES

EXAMPLE_ID = "0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"


def _list(choices=None, **kw):
    inner = fields.String(enum=list(choices)) if choices else fields.String(max_length=2048)
    return fields.List(inner, max_items=20, **kw)


class NullableInteger(Nullable, fields.Integer):
    """An integer or null."""


def _ttl(text: str):
    return NullableInteger(description=f"{text} lifetime in seconds; null: the tenant's policy")


_editable = {
    "name": fields.String(min_length=1, max_length=100, example="Acme CRM"),
    "redirect_uris": _list(
        description="Exact redirect URIs (no wildcards)", example=["https://crm.example.com/cb"]
    ),
    "post_logout_redirect_uris": _list(example=["https://crm.example.com/"]),
    "grant_types": _list(GRANT_TYPES, example=["authorization_code", "refresh_token"]),
    "scopes": _list(
        SCOPES, description="Scopes it may ask for", example=["openid", "profile", "email"]
    ),
    "first_party": fields.Boolean(description="The tenant's own app: no consent page"),
    "access_token_ttl_seconds": _ttl("Access token"),
    "refresh_token_ttl_seconds": _ttl("Refresh token"),
}

application_out = Model(
    "Application",
    {
        "id": fields.String(example=EXAMPLE_ID),
        "client_id": fields.String(example="9f2c4e1a7b3d5f6e8a0b1c2d3e4f5a6b"),
        "client_type": fields.String(enum=list(CLIENT_TYPES), example="confidential"),
        **_editable,
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "updated_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)
application_created = application_out.inherit(
    "ApplicationCreated",
    {
        "client_secret": fields.String(
            description="Shown once; stored only as a hash. Null for public clients",
            example="cs_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG",
        )
    },
)
application_in = Model(
    "ApplicationCreate",
    {
        "client_type": fields.String(enum=list(CLIENT_TYPES), example="confidential"),
        **_editable,
        "name": fields.String(required=True, min_length=1, max_length=100, example="Acme CRM"),
    },
    strict=True,
)
application_patch = Model("ApplicationUpdate", dict(_editable), strict=True)
grant_out = Model(
    "Grant",
    {
        "id": fields.String(example=EXAMPLE_ID),
        "application_id": fields.String(example=EXAMPLE_ID),
        "application_name": fields.String(example="Acme CRM"),
        "scopes": fields.List(fields.String, example=["openid", "email"]),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "updated_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)

APPLICATION_MODELS = (application_out, application_created, application_in, application_patch)
