"""The REST API v1: one blueprint, one restx ``Api``, namespaces from each domain."""

from __future__ import annotations

from flask import Blueprint, Flask, jsonify, request
from flask_restx import Api

from authsvc.api import cors, openapi, ratelimit
from authsvc.apikeys.authentication import current_principal
from authsvc.connections import SAFE_METHODS, read_only_request
from authsvc.errors import handle_exception
from authsvc.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class AuthsvcApi(Api):
    """restx ``Api`` whose errors are rendered by :mod:`authsvc.errors`.

    ``handle_error`` is the public method through which restx answers every
    error raised on its routes. Registering a handler with ``api.errorhandler``
    instead would not do: restx passes a handler's result through its own JSON
    representation and sets the negotiated media type, so the answer could not
    be an ``application/problem+json`` document.
    """

    def handle_error(self, e):
        return handle_exception(e)


api = AuthsvcApi(
    bp,
    version="1.0",
    title="authsvc API",
    description=(
        "Tenant-isolated identity API. Authenticate with an API key in the `X-API-Key` header. "
        "Errors are RFC 9457 problem details (`application/problem+json`)."
    ),
    doc="/docs",
    authorizations={
        "apikey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
        "bearer": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An end user's access token: `Bearer <token>`",
        },
    },
    validate=False,
)


def _namespaces():
    from authsvc.apikeys.api import ns as apikeys_ns
    from authsvc.applications.api import grants_ns
    from authsvc.applications.api import ns as applications_ns
    from authsvc.audit.api import ns as audit_ns
    from authsvc.auth.api import auth_ns, me_ns
    from authsvc.federation.api import buttons_ns, exchange_ns, identities_ns
    from authsvc.federation.api import ns as federation_ns
    from authsvc.organizations.api import ns as organizations_ns
    from authsvc.organizations.me_api import invitations_ns, my_org_ns, my_orgs_ns
    from authsvc.organizations.roles_api import permissions_ns, roles_ns
    from authsvc.tenants.api import ns as tenant_ns
    from authsvc.users import gdpr_api  # noqa: F401 - adds the export and erasure routes
    from authsvc.users.api import ns as users_ns
    from authsvc.webhooks.api import ns as webhooks_ns
    from authsvc.webhooks.events_api import ns as events_ns

    return [
        (users_ns, "/users"),
        (apikeys_ns, "/api-keys"),
        (tenant_ns, "/tenant"),
        (auth_ns, "/auth"),
        (me_ns, "/me"),
        (audit_ns, "/audit"),
        (webhooks_ns, "/webhooks"),
        (events_ns, "/events"),
        (federation_ns, "/identity-providers"),
        (buttons_ns, "/auth/providers"),
        (exchange_ns, "/auth/exchange"),
        (identities_ns, "/me/identities"),
        (organizations_ns, "/organizations"),
        (roles_ns, "/roles"),
        (permissions_ns, "/permissions"),
        (my_orgs_ns, "/me/organizations"),
        (my_org_ns, "/me/organization"),
        (invitations_ns, "/invitations"),
        (applications_ns, "/applications"),
        (grants_ns, "/me/grants"),
    ]


@bp.before_app_request
def _authenticate() -> None:
    """On API routes: read-only mode for safe methods, then the credential.

    App-wide, so that it runs before Flask-Limiter's check (``create_app``
    initialises the limiter after the API), which counts the call against the
    key: the key lookup is then the request's first (autocommit) read, and a
    bad key is answered with 401 before anything is counted.
    """
    if request.blueprint != "api":
        return
    if request.method in SAFE_METHODS:
        read_only_request()
    # Resolved once, up front: binds the tenant for the whole request.
    current_principal(required=False)


def openapi_document() -> dict:
    """The OpenAPI 3.1 document of the API (needs a request context, as restx does)."""
    if "error" in api.__schema__:
        raise RuntimeError(api.__schema__["error"])
    return openapi.convert(api.__schema__)


@bp.get("/openapi.json")
def openapi_json():
    """The OpenAPI 3.1 document; public, like restx's ``swagger.json``."""
    return jsonify(openapi_document())


ratelimit.limit_callers(bp)
bp.after_request(cors.apply_cors)


# API clients authenticate with a header, which no other site can make a browser send.
csrf.exempt(bp)


def init_app(app: Flask) -> None:
    # Namespaces are added on first use, not at import: domain modules import
    # helpers from this package, so importing them here would be circular.
    if not api.namespaces[1:]:
        for namespace, path in _namespaces():
            api.add_namespace(namespace, path=path)
    app.register_blueprint(bp)
    cors.init_app(app)
