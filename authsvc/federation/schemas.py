"""restx models for identity providers: documentation, validation, output."""

from __future__ import annotations

from flask_restx import Model, fields

from authsvc.api.docs import EXAMPLE_TIME
from authsvc.api.validation import NullableString
from authsvc.auth.schemas import CLIENT_FIELDS
from authsvc.federation.models import KINDS

EXAMPLE_ID = "0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"

_scopes = fields.List(
    fields.String(max_length=100),
    description="Scopes to ask for; must include `openid` (except `github`, whose default "
    "is `read:user user:email`)",
    example=["openid", "email", "profile"],
)
_directory = fields.String(
    max_length=64,
    description="`microsoft` only: the Entra ID directory (tenant) id, or `common`, "
    "`organizations` or `consumers`",
    example="organizations",
)
_issuer = fields.String(
    max_length=2048,
    description="`oidc`: the issuer URL; discovery is at "
    "`<issuer>/.well-known/openid-configuration`. `github`: a GitHub Enterprise Server's "
    "URL (default `https://github.com`)",
    example="https://idp.example.com",
)
_common = {
    "display_name": fields.String(max_length=100, example="Sign in with Example"),
    "icon_url": NullableString(max_length=2048, example="https://idp.example.com/icon.svg"),
    "client_id": fields.String(max_length=255, example="authsvc-client"),
    "client_secret": fields.String(
        max_length=512, description="Sealed at rest, never returned", example="s3cr3t"
    ),
    "scopes": _scopes,
    "enabled": fields.Boolean(example=True),
    "link_by_email": fields.Boolean(
        description="Link a first sign-in to the account with the same email, when the "
        "provider says the email is verified",
        example=False,
    ),
    "trust_upstream_mfa": fields.Boolean(
        description="Skip authsvc's TOTP step when the provider's ID token `amr` says it did "
        "MFA (`mfa`, `mca`, `otp`, `hwk`, `sc`, `sms`, `tel`)",
        example=False,
    ),
    "issuer": _issuer,
    "directory": _directory,
}

#: What a sign-in button shows; shared by the admin's and the app's view of a provider.
_button = {
    "id": fields.String(example=EXAMPLE_ID),
    "kind": fields.String(enum=list(KINDS), example="oidc"),
    "display_name": fields.String(example="Sign in with Example"),
    "icon_url": fields.String(example=None),
}

provider_out = Model(
    "IdentityProvider",
    {
        **_button,
        "issuer": fields.String(example="https://idp.example.com"),
        "client_id": fields.String(example="authsvc-client"),
        "has_client_secret": fields.Boolean(
            attribute=lambda p: p.client_secret_sealed is not None, example=True
        ),
        "scopes": fields.List(fields.String, example=["openid", "email", "profile"]),
        "enabled": fields.Boolean(example=True),
        "link_by_email": fields.Boolean(example=False),
        "trust_upstream_mfa": fields.Boolean(example=False),
        "redirect_uri": fields.String(
            description="Register this callback URL at the provider",
            example=f"https://auth.example.com/t/acme/login/{EXAMPLE_ID}/callback",
        ),
        "redirect_uris": fields.List(
            fields.String,
            description="Every callback URL to register: `redirect_uri`, then one per verified "
            "custom domain of the tenant",
            example=[
                f"https://auth.example.com/t/acme/login/{EXAMPLE_ID}/callback",
                f"https://login.acme.example/login/{EXAMPLE_ID}/callback",
            ],
        ),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "updated_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)
provider_in = Model(
    "IdentityProviderCreate",
    {
        "kind": fields.String(required=True, enum=list(KINDS), example="oidc"),
        **_common,
        "display_name": fields.String(required=True, min_length=1, max_length=100),
        "client_id": fields.String(required=True, min_length=1, max_length=255),
    },
    strict=True,
)
provider_patch = Model("IdentityProviderUpdate", dict(_common), strict=True)

#: What a tenant app needs to draw a sign-in button (no configuration, no secrets).
provider_button = Model(
    "SignInProvider",
    {
        **_button,
        "login_url": fields.String(
            description="Send the browser here; add `return_to` (one of the tenant's redirect "
            "URLs) to come back to the app",
            example=f"https://auth.example.com/t/acme/login/{EXAMPLE_ID}",
        ),
    },
)
identity_out = Model(
    "UserIdentity",
    {
        "id": fields.String(example=EXAMPLE_ID),
        "provider_id": fields.String(example=EXAMPLE_ID),
        "subject": fields.String(description="The user's id at the provider", example="248289761"),
        "email": fields.String(example="ada@example.com"),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)

exchange_in = Model(
    "SignInCodeExchange",
    {
        "code": fields.String(
            required=True,
            max_length=200,
            description="The `code` query parameter the browser brought back to `return_to`",
            example="q3Z0bW9...",
        ),
        "code_verifier": fields.String(
            min_length=43,
            max_length=128,
            description="PKCE verifier (RFC 7636): required when the sign-in was started with "
            "`code_challenge` (S256), refused otherwise",
            example="dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ),
        **CLIENT_FIELDS,
    },
    strict=True,
)

provider_status_out = Model(
    "IdentityProviderStatus",
    {
        "provider_id": fields.String(example=EXAMPLE_ID),
        "state": fields.String(
            enum=["ok", "failing", "unknown"],
            description="`ok`: the provider's last answer was usable; `failing`: its last "
            "contact failed; `unknown`: not contacted yet",
            example="ok",
        ),
        "discovery_fetched_at": fields.DateTime(
            dt_format="iso8601",
            description="When the discovery document or JWKS was last fetched (not cached)",
            example=EXAMPLE_TIME,
        ),
        "last_success_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "last_failure_at": fields.DateTime(dt_format="iso8601", example=None),
        "last_error": fields.String(
            description="What failed last, in words (never the provider's answer)", example=None
        ),
        "consecutive_failures": fields.Integer(example=0),
    },
)

PROVIDER_MODELS = (
    provider_status_out,
    provider_out,
    provider_in,
    provider_patch,
    provider_button,
    identity_out,
    exchange_in,
)
