"""restx models for organizations, members, invitations, roles and permissions."""

from __future__ import annotations

from flask_restx import Model, fields

from authsvc.api.docs import EXAMPLE_TIME
from authsvc.api.validation import JsonObject, NullableString
from authsvc.users.schemas import EMAIL_PATTERN

ID = "0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"
_roles = fields.List(fields.String(max_length=64), max_items=50, example=["member"])
_domains = fields.List(fields.String(max_length=253), max_items=20, example=["acme.com"])

organization_out = Model(
    "Organization",
    {
        "id": fields.String(example=ID),
        "name": fields.String(example="Acme"),
        "slug": fields.String(example="acme"),
        "metadata": fields.Raw(example={"plan": "team"}),
        "domains": fields.List(fields.String, example=["acme.com"]),
        "created_at": fields.String(example=EXAMPLE_TIME),
        "updated_at": fields.String(example=EXAMPLE_TIME),
    },
)
organization_page = Model(
    "OrganizationPage",
    {"items": fields.List(fields.Nested(organization_out)), "next_cursor": fields.String},
)
_org_fields = {
    "name": fields.String(min_length=1, max_length=200, example="Acme"),
    "slug": fields.String(min_length=1, max_length=63, example="acme"),
    "metadata": JsonObject(example={"plan": "team"}),
    "domains": _domains,
}
organization_in = Model(
    "OrganizationCreate",
    {
        **_org_fields,
        "name": fields.String(required=True, min_length=1, max_length=200),
        "slug": fields.String(required=True, min_length=1, max_length=63),
    },
    strict=True,
)
organization_patch = Model("OrganizationChange", _org_fields, strict=True)

member_out = Model(
    "Member",
    {
        "id": fields.String(example=ID),
        "organization_id": fields.String(example=ID),
        "user_id": fields.String(example=ID),
        "email": fields.String(example="ada@example.com"),
        "roles": fields.List(fields.String, example=["member"]),
        "created_at": fields.String(example=EXAMPLE_TIME),
    },
)
member_page = Model(
    "MemberPage", {"items": fields.List(fields.Nested(member_out)), "next_cursor": fields.String}
)
member_in = Model(
    "MemberAdd",
    {"user_id": fields.String(required=True, max_length=64, example=ID), "roles": _roles},
    strict=True,
)
member_patch = Model(
    "MemberChange",
    {"roles": fields.List(fields.String(max_length=64), required=True, max_items=50)},
    strict=True,
)

invitation_out = Model(
    "Invitation",
    {
        "id": fields.String(example=ID),
        "organization_id": fields.String(example=ID),
        "email": fields.String(example="ada@example.com"),
        "roles": fields.List(fields.String, example=["member"]),
        "state": fields.String(enum=["pending", "accepted", "revoked", "expired"]),
        "inviter": fields.String(example="apikey:" + ID),
        "expires_at": fields.String(example=EXAMPLE_TIME),
        "created_at": fields.String(example=EXAMPLE_TIME),
    },
)
invitation_page = Model(
    "InvitationPage",
    {"items": fields.List(fields.Nested(invitation_out)), "next_cursor": fields.String},
)
invitation_in = Model(
    "InvitationCreate",
    {
        "email": fields.String(
            required=True, pattern=EMAIL_PATTERN, max_length=254, example="ada@example.com"
        ),
        "roles": _roles,
    },
    strict=True,
)

role_out = Model(
    "Role",
    {
        "id": fields.String(example=ID),
        "name": fields.String(example="editor"),
        "description": fields.String(example="Edits documents"),
        "permissions": fields.List(fields.String, example=["documents:read"]),
        "is_builtin": fields.Boolean(example=False),
    },
)
_role_fields = {
    "name": fields.String(max_length=64, example="editor"),
    "description": NullableString(max_length=500, example="Edits documents"),
    "permissions": fields.List(
        fields.String(max_length=100), max_items=200, example=["documents:read"]
    ),
}
role_in = Model(
    "RoleCreate",
    {**_role_fields, "name": fields.String(required=True, max_length=64, example="editor")},
    strict=True,
)
role_patch = Model("RoleChange", _role_fields, strict=True)
permission_out = Model(
    "Permission",
    {
        "id": fields.String(example=ID),
        "name": fields.String(example="documents:read"),
        "description": fields.String(example="Read documents"),
    },
)
permission_in = Model(
    "PermissionCreate",
    {
        "name": fields.String(required=True, max_length=100, example="documents:read"),
        "description": NullableString(max_length=500, example="Read documents"),
    },
    strict=True,
)

switch_in = Model(
    "OrganizationSwitch",
    {
        "organization_id": NullableString(
            required=True, max_length=64, example=ID, description="`null` leaves organizations"
        )
    },
    strict=True,
)
my_organization_out = Model(
    "MyOrganization",
    {
        "id": fields.String(example=ID),
        "name": fields.String(example="Acme"),
        "slug": fields.String(example="acme"),
        "roles": fields.List(fields.String, example=["member"]),
        "active": fields.Boolean(example=True),
    },
)
accept_in = Model(
    "InvitationAccept",
    {
        "token": fields.String(
            required=True, min_length=1, max_length=200, example="inv_3q2+7w-token-from-the-mail"
        )
    },
    strict=True,
)
accepted_out = Model("InvitationAccepted", {"organization_id": fields.String(example=ID)})

ALL = (
    organization_out,
    organization_page,
    organization_in,
    organization_patch,
    member_out,
    member_page,
    member_in,
    member_patch,
    invitation_out,
    invitation_page,
    invitation_in,
    role_out,
    role_in,
    role_patch,
    permission_out,
    permission_in,
    switch_in,
    my_organization_out,
    accept_in,
    accepted_out,
)
