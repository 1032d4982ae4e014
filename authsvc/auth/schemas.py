"""restx models for the authentication and self-service endpoints."""

from __future__ import annotations

from flask_restx import Model, fields

from authsvc.api.docs import EXAMPLE_TIME
from authsvc.api.validation import JsonObject, NullableString
from authsvc.users.schemas import EMAIL_PATTERN, LOCALE_PATTERN, USERNAME_PATTERN

PASSWORD = {"min_length": 1, "max_length": 1024, "example": "correct horse battery staple"}
#: What an app may say about the end user and their device, on every sign-in step.
CLIENT_FIELDS = {
    "device_name": fields.String(max_length=200, example="Ada's iPhone"),
    "device_id": fields.String(max_length=64, example="3f2a9c"),
    "ip": fields.String(max_length=45, description="The end user's IP (server-side keys only)"),
    "user_agent": fields.String(max_length=512, description="The end user's User-Agent"),
}

register_in = Model(
    "Register",
    {
        "email": fields.String(
            required=True, pattern=EMAIL_PATTERN, max_length=254, example="ada@example.com"
        ),
        "username": fields.String(pattern=USERNAME_PATTERN, max_length=64, example="ada"),
        "password": fields.String(required=True, **PASSWORD),
        "display_name": fields.String(max_length=200, example="Ada Lovelace"),
        "ip": CLIENT_FIELDS["ip"],
        "user_agent": CLIENT_FIELDS["user_agent"],
    },
    strict=True,
)
login_in = Model(
    "Login",
    {
        "username": fields.String(max_length=254, description="Username or email", example="ada"),
        "email": fields.String(
            max_length=254, description="Email or username", example="ada@example.com"
        ),
        "password": fields.String(required=True, **PASSWORD),
        **CLIENT_FIELDS,
    },
    strict=True,
)
tokens_out = Model(
    "Tokens",
    {
        "access_token": fields.String(example="eyJhbGciOiJFUzI1NiIsImtpZCI6..."),
        "refresh_token": fields.String(example="rt_Jq3kV..."),
        "token_type": fields.String(example="Bearer"),
        "expires_in": fields.Integer(example=900),
    },
)
mfa_challenge_out = Model(
    "MfaChallenge",
    {
        "mfa_required": fields.Boolean(example=True),
        "mfa_token": fields.String(example="eyJhbGciOiJFUzI1NiIsInR5cCI6Im1mYStqd3Qi..."),
    },
)
refresh_in = Model(
    "Refresh",
    {"refresh_token": fields.String(required=True, max_length=200, example="rt_Jq3kV...")},
    strict=True,
)
mfa_in = Model(
    "MfaLogin",
    {
        "mfa_token": fields.String(required=True, max_length=4096, example="eyJhbGciOi..."),
        "code": fields.String(required=True, max_length=32, example="123456"),
        "ip": CLIENT_FIELDS["ip"],
        "user_agent": CLIENT_FIELDS["user_agent"],
    },
    strict=True,
)
token_in = Model(
    "OneTimeToken",
    {"token": fields.String(required=True, max_length=200, example="Zx8...")},
    strict=True,
)
email_in = Model(
    "EmailOnly",
    {"email": fields.String(required=True, max_length=254, example="ada@example.com")},
    strict=True,
)
reset_in = Model(
    "ResetPassword",
    {
        "token": fields.String(required=True, max_length=200, example="Zx8..."),
        "new_password": fields.String(required=True, **PASSWORD),
    },
    strict=True,
)
me_patch = Model(
    "ProfileUpdate",
    {
        "display_name": NullableString(max_length=200, example="Ada Lovelace"),
        "avatar_url": NullableString(
            max_length=2048, pattern=r"^https?://", example="https://example.com/a.png"
        ),
        "locale": NullableString(max_length=35, pattern=LOCALE_PATTERN, example="en-GB"),
        "preferences": JsonObject(
            description="Preferences by category; each category given replaces the stored one",
            example={"notifications": {"email": True}},
        ),
    },
    strict=True,
)
password_in = Model(
    "ChangePassword",
    {
        "current_password": fields.String(required=True, **PASSWORD),
        "new_password": fields.String(required=True, **PASSWORD),
    },
    strict=True,
)
code_in = Model(
    "MfaCode", {"code": fields.String(required=True, max_length=32, example="123456")}, strict=True
)
mfa_disable_in = Model(
    "MfaDisable",
    {
        "code": fields.String(max_length=32, example="123456"),
        "password": fields.String(max_length=1024, example="correct horse battery staple"),
    },
    strict=True,
)
enrolment_out = Model(
    "TotpEnrolment",
    {
        "secret": fields.String(example="JBSWY3DPEHPK3PXP"),
        "otpauth_uri": fields.String(example="otpauth://totp/Acme:ada%40example.com?secret=..."),
        "qr_svg": fields.String(example="<svg xmlns=...>"),
    },
)
recovery_out = Model(
    "RecoveryCodes", {"recovery_codes": fields.List(fields.String, example=["a1b2c3-d4e5f6"])}
)
session_out = Model(
    "Session",
    {
        "id": fields.String(example="0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"),
        "device_id": fields.String(example="3f2a9c"),
        "device_name": fields.String(example="Ada's iPhone"),
        "device_type": fields.String(example="mobile"),
        "browser": fields.String(example="Mobile Safari 17.1"),
        "os": fields.String(example="iOS 17.1"),
        "ip": fields.String(example="203.0.113.7"),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "last_seen_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "current": fields.Boolean(example=True),
    },
)
accepted_out = Model("Accepted", {"status": fields.String(example="accepted")})

ALL = (
    register_in,
    login_in,
    tokens_out,
    mfa_challenge_out,
    refresh_in,
    mfa_in,
    token_in,
    email_in,
    reset_in,
    me_patch,
    password_in,
    code_in,
    mfa_disable_in,
    enrolment_out,
    recovery_out,
    session_out,
    accepted_out,
)
