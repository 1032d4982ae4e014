"""REST resources: the tenant's applications (scope ``admin``) and my grants (Bearer)."""

from __future__ import annotations

from flask_restx import Namespace, Resource

from authsvc.api.docs import document_errors
from authsvc.api.validation import expect_json, register_models
from authsvc.apikeys.authentication import current_principal, require_scope
from authsvc.applications import consents, service
from authsvc.applications.schemas import (
    APPLICATION_MODELS,
    application_created,
    application_in,
    application_out,
    application_patch,
    grant_out,
)
from authsvc.ids import parse_id
from authsvc.tokens.bearer import current_claims, require_token

ns = Namespace(
    "applications",
    description="OAuth 2.0 / OpenID Connect clients of the tenant. A client secret is shown "
    "once, when the application is created (or its secret rotated), and stored hashed.",
)
register_models(ns, *APPLICATION_MODELS)
grants_ns = Namespace("me-grants", description="Applications I allowed to use my account")
register_models(grants_ns, grant_out)


@ns.route("")
class ApplicationList(Resource):
    @require_scope("admin")
    @ns.marshal_list_with(application_out)
    @document_errors(ns, 403)
    def get(self):
        """List the tenant's applications, oldest first."""
        return service.list_applications()

    @require_scope("admin")
    @expect_json(ns, application_in)
    @ns.marshal_with(application_created, code=201, description="Created")
    @document_errors(ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Register an application; a confidential one's `client_secret` is shown only here."""
        application, secret = service.create_application(body, actor=current_principal().actor)
        application.client_secret = secret
        return application, 201


@ns.route("/<string:application_id>")
@ns.param("application_id", "The application's id")
class ApplicationItem(Resource):
    @require_scope("admin")
    @ns.marshal_with(application_out)
    @document_errors(ns, 403, 404)
    def get(self, application_id):
        """Read an application (never its secret)."""
        return service.get_application(application_id)

    @require_scope("admin")
    @expect_json(ns, application_patch)
    @ns.marshal_with(application_out)
    @document_errors(ns, 400, 403, 404, 413, 415, 422)
    def patch(self, application_id, body):
        """Change an application."""
        application = service.get_application(application_id)
        return service.update_application(application, body, actor=current_principal().actor)

    @require_scope("admin")
    @ns.response(204, "Deleted")
    @document_errors(ns, 403, 404)
    def delete(self, application_id):
        """Delete an application; the sessions it holds end and their tokens stop working."""
        application = service.get_application(application_id)
        service.delete_application(application, actor=current_principal().actor)
        return "", 204


@ns.route("/<string:application_id>/rotate-secret")
@ns.param("application_id", "The application's id")
class ApplicationSecret(Resource):
    @require_scope("admin")
    @ns.marshal_with(application_created)
    @document_errors(ns, 403, 404, 422)
    def post(self, application_id):
        """A new client secret, shown once; the old one stops working at once."""
        application = service.get_application(application_id)
        application.client_secret = service.rotate_secret(application, current_principal().actor)
        return application


@grants_ns.route("")
class MyGrantList(Resource):
    @require_token
    @grants_ns.marshal_list_with(grant_out)
    @document_errors(grants_ns)
    def get(self):
        """The applications I allowed, with the scopes I gave them."""
        rows = consents.list_grants(parse_id(current_claims().sub, "user"))
        return [_grant(consent, application) for consent, application in rows]


@grants_ns.route("/<string:grant_id>")
@grants_ns.param("grant_id", "The grant's id")
class MyGrantItem(Resource):
    @require_token
    @grants_ns.response(204, "Revoked")
    @document_errors(grants_ns, 404)
    def delete(self, grant_id):
        """Take back a grant: the application is asked again, and its tokens stop working."""
        consents.revoke_grant(parse_id(current_claims().sub, "user"), grant_id)
        return "", 204


def _grant(consent, application) -> dict:
    return {
        "id": consent.id,
        "application_id": application.id,
        "application_name": application.name,
        "scopes": consent.scopes,
        "created_at": consent.created_at,
        "updated_at": consent.updated_at,
    }
