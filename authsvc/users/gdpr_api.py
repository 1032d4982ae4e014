"""REST resources for a user's data export and erasure (GDPR articles 15, 17 and 20).

An admin exports any user of the tenant (``GET /users/{id}/export``) and erases
one with ``DELETE /users/{id}?erase=true`` (in :mod:`authsvc.users.api`); a
signed-in user exports their own data (``GET /me/export``) and erases their
account (``POST /me/delete``, after proving presence again with a code or the
password). Exports are streamed a section at a time.
"""

from __future__ import annotations

from flask import Response, stream_with_context
from flask_restx import Resource

from authsvc.api.docs import document_errors
from authsvc.api.validation import expect_json
from authsvc.apikeys.authentication import require_scope
from authsvc.auth import schemas
from authsvc.auth import service as auth_service
from authsvc.auth.api import me, me_ns
from authsvc.tenancy import current_tenant_id, tenant_context
from authsvc.tokens.bearer import current_claims, require_token
from authsvc.users import gdpr, service
from authsvc.users.api import ns


def _chunks(user, tenant_id):
    # The request's tenant binding ends with the view; the stream runs after it.
    with tenant_context(tenant_id):
        yield from gdpr.export_chunks(user)


def _streamed(user) -> Response:
    body = stream_with_context(_chunks(user, current_tenant_id()))
    filename = f"user-{user.id}.json"
    return Response(
        body,
        content_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@ns.route("/<string:user_id>/export")
@ns.param("user_id", "The user's id")
class UserExport(Resource):
    @require_scope("users:read")
    @ns.response(200, "Everything held about the user, by section")
    @document_errors(ns, 403, 404)
    def get(self, user_id):
        """Export a user's data: profile, sessions, identities, MFA, mail, audit entries."""
        return _streamed(service.get_user(user_id))


@me_ns.route("/export")
class MyExport(Resource):
    @require_token
    @me_ns.response(200, "Everything held about you, by section")
    @document_errors(me_ns)
    def get(self):
        """Export your data."""
        return _streamed(me())


@me_ns.route("/delete")
class MyDeletion(Resource):
    @require_token
    @expect_json(me_ns, schemas.mfa_disable_in)
    @me_ns.response(204, "Your account and its data are erased")
    @document_errors(me_ns, 400, 413, 415, 422)
    def post(self, body):
        """Erase your account and data (needs a current code or the password)."""
        user = me()
        auth_service.reauthenticate(
            user, body.get("password"), body.get("code"), "Give a valid code or your password."
        )
        service.erase_user(user, actor=f"user:{current_claims().sub}")
        return "", 204
