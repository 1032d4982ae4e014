"""restx models for users: documentation, input validation and output shape.

``user_out`` is also how a user appears in webhook payloads, so the API and
the events never disagree (and never carry the password hash).
"""

from __future__ import annotations

from flask_restx import Model, fields

from authsvc.api.docs import EXAMPLE_TIME
from authsvc.api.validation import JsonObject, NullableString

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,62}[A-Za-z0-9]$"
#: A BCP 47 tag's shape: a language, then subtags (``en``, ``de-CH``, ``zh-Hant-TW``).
LOCALE_PATTERN = r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,5}$"

user_out = Model(
    "User",
    {
        "id": fields.String(example="0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"),
        "email": fields.String(example="ada@example.com"),
        "username": fields.String(example="ada"),
        "display_name": fields.String(example="Ada Lovelace"),
        "avatar_url": fields.String(example="https://example.com/ada.png"),
        "locale": fields.String(description="BCP 47 language tag", example="en-GB"),
        "is_verified": fields.Boolean(example=True),
        "is_active": fields.Boolean(example=True),
        "roles": fields.List(fields.String, example=["member"]),
        "metadata": fields.Raw(attribute="user_metadata", example={"plan": "pro"}),
        "external_user_id": fields.String(example="cust_4242"),
        "last_login_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "updated_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)

_editable = {
    "username": NullableString(pattern=USERNAME_PATTERN, max_length=64, example="ada"),
    "display_name": NullableString(max_length=200, example="Ada Lovelace"),
    "avatar_url": NullableString(
        max_length=2048, pattern=r"^https?://", example="https://example.com/ada.png"
    ),
    "locale": NullableString(max_length=35, pattern=LOCALE_PATTERN, example="en-GB"),
    "metadata": JsonObject(
        description="Free-form JSON for the tenant app", example={"plan": "pro"}
    ),
    "external_user_id": NullableString(max_length=255, example="cust_4242"),
    "is_verified": fields.Boolean(example=False),
    "is_active": fields.Boolean(example=True),
    "roles": fields.List(fields.String(max_length=64), example=["member"]),
}

user_in = Model(
    "UserCreate",
    {
        "email": fields.String(
            required=True, pattern=EMAIL_PATTERN, max_length=254, example="ada@example.com"
        ),
        # Length and strength are the tenant's password policy, checked by the user service.
        "password": fields.String(
            min_length=1, max_length=1024, example="correct horse battery staple"
        ),
        **_editable,
    },
    strict=True,
)

user_patch = Model(
    "UserUpdate",
    {
        "email": fields.String(pattern=EMAIL_PATTERN, max_length=254, example="ada@example.com"),
        **_editable,
    },
    strict=True,
)

user_page = Model(
    "UserPage",
    {
        "items": fields.List(fields.Nested(user_out)),
        "next_cursor": fields.String(
            description="Pass as `cursor` for the next page; null on the last page",
            example="AZDRxForfD2OTwobLD1OXw",
        ),
    },
)

ALL = (user_out, user_in, user_patch, user_page)
