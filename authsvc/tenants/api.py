"""REST resource for the API key's own tenant (scope ``admin``)."""

from __future__ import annotations

from flask_restx import Model, Namespace, Resource, fields

from authsvc.api.docs import EXAMPLE_TIME, document_errors
from authsvc.api.validation import NullableString, expect_json, register_models
from authsvc.apikeys.authentication import current_principal, require_scope
from authsvc.auth.tenant_policy import policy_model
from authsvc.tenants import domains, service

ns = Namespace("tenant", description="The tenant that owns the API key")

auth_policy = policy_model()
settings_model = Model(
    "TenantSettings",
    {
        "auth": fields.Nested(auth_policy, description="Sign-in policy (merged over defaults)"),
        "cors_origins": fields.List(
            fields.String(max_length=255),
            description="Browser origins allowed to call the API with this tenant's keys",
            example=["https://app.example.com"],
        ),
        "rate_limit": NullableString(
            max_length=64,
            description="Requests per API key, e.g. `600/minute`; null for the platform default",
            example="600/minute",
        ),
        "redirect_urls": fields.List(
            fields.String(max_length=2048),
            description="Where hosted pages may send the user back to (`return_to`): an "
            "exact URL, or a prefix of one at a path boundary",
            example=["https://app.example.com/after-login"],
        ),
        "frame_ancestors": fields.List(
            fields.String(max_length=255),
            description="Origins allowed to embed the hosted pages in a frame (default none)",
            example=["https://app.example.com"],
        ),
        "mail_from_name": NullableString(
            max_length=100, description="Sender name of this tenant's emails", example="Acme"
        ),
        "mail_from_address": NullableString(
            max_length=254,
            description="Sender address of this tenant's emails",
            example="no-reply@acme.example",
        ),
    },
    strict=True,
)
domain_out = Model(
    "TenantDomain",
    {
        "domain": fields.String(example="login.acme.test"),
        "status": fields.String(
            enum=["pending", "verified"],
            description="Only a verified domain serves the hosted pages",
            example="pending",
        ),
        "verified_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "verification": fields.Raw(
            description="While pending: publish either the DNS TXT record or the HTTP token, "
            "then call `POST /tenant/domains/{domain}/verify`",
            example={
                "dns": {
                    "type": "TXT",
                    "name": "_authsvc-challenge.login.acme.test",
                    "value": "Qm9vdHN0cmFwIHRva2VuIGV4YW1wbGU",
                },
                "http": {
                    "url": "http://login.acme.test/.well-known/authsvc-domain-verification/"
                    "Qm9vdHN0cmFwIHRva2VuIGV4YW1wbGU",
                    "body": "Qm9vdHN0cmFwIHRva2VuIGV4YW1wbGU",
                },
            },
        ),
    },
)
tenant_out = Model(
    "Tenant",
    {
        "id": fields.String(example="0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f"),
        "slug": fields.String(example="acme"),
        "name": fields.String(example="Acme Inc."),
        "domains": fields.List(
            fields.String,
            description="Names of the custom domains, pending or verified",
            example=["login.acme.test"],
        ),
        "domain_states": fields.List(
            fields.Nested(domain_out),
            description="Each custom domain with its state and, while pending, how to verify it",
            example=[
                {"domain": "login.acme.test", "status": "verified", "verified_at": EXAMPLE_TIME}
            ],
        ),
        "settings": fields.Raw(example={"cors_origins": ["https://app.acme.test"]}),
        "is_active": fields.Boolean(example=True),
        "created_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
        "updated_at": fields.DateTime(dt_format="iso8601", example=EXAMPLE_TIME),
    },
)
tenant_patch = Model(
    "TenantUpdate",
    {
        "name": fields.String(min_length=1, max_length=200, example="Acme Inc."),
        "domains": fields.List(
            fields.String(max_length=253),
            description="The custom domains, all of them: new ones start pending until "
            "verified; the platform's host, its subdomains and IP addresses are refused",
            example=["login.acme.test"],
        ),
        "settings": fields.Nested(settings_model),
    },
    strict=True,
)
register_models(ns, auth_policy, settings_model, domain_out, tenant_out, tenant_patch)


def tenant_view(tenant) -> dict:
    """The tenant as ``tenant_out`` shows it, with its domains' states."""
    states = domains.domain_states(tenant)
    fields_out = ("id", "slug", "name", "settings", "is_active", "created_at", "updated_at")
    return {
        **{name: getattr(tenant, name) for name in fields_out},
        "domains": [state.domain for state in states],
        "domain_states": states,
    }


@ns.route("")
class TenantItem(Resource):
    @require_scope("admin")
    @ns.marshal_with(tenant_out)
    @document_errors(ns, 403)
    def get(self):
        """Read the tenant, its domains and settings."""
        return tenant_view(service.get_tenant(current_principal().tenant_id))

    @require_scope("admin")
    @expect_json(ns, tenant_patch)
    @ns.marshal_with(tenant_out)
    @document_errors(ns, 400, 403, 409, 413, 415, 422)
    def patch(self, body):
        """Change the tenant's name, domains or settings (settings are merged)."""
        principal = current_principal()
        tenant = service.get_tenant(principal.tenant_id)
        return tenant_view(service.update_tenant(tenant, body, actor=principal.actor))


@ns.route("/domains/<string:domain>/verify")
@ns.param("domain", "A custom domain of the tenant, e.g. login.acme.test")
class TenantDomainVerification(Resource):
    @require_scope("admin")
    @ns.marshal_with(domain_out)
    @document_errors(ns, 403, 404, 409, 422)
    def post(self, domain):
        """Check a pending domain's DNS TXT record or HTTP token; verified, it serves pages."""
        principal = current_principal()
        tenant = service.get_tenant(principal.tenant_id)
        return domains.verify_domain(tenant, domain, actor=principal.actor)
