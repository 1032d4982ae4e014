"""REST resources for users: list, create, read, update, delete."""

from __future__ import annotations

from flask import request
from flask_restx import Model, Namespace, Resource, fields, inputs, reqparse

from authsvc.api.docs import document_errors
from authsvc.api.validation import AnyJson, expect_json, register_models
from authsvc.apikeys.authentication import current_principal, require_scope
from authsvc.auth import service as auth_service
from authsvc.auth.schemas import session_out
from authsvc.auth.tenant_policy import policy_for
from authsvc.errors import ValidationFailed
from authsvc.extensions import db
from authsvc.pagination import page_limit
from authsvc.sessions import service as sessions
from authsvc.users import importer, reads, service
from authsvc.users.schemas import ALL, user_in, user_out, user_page, user_patch
from authsvc.users.service import user_payload

ns = Namespace("users", description="End users of the API key's tenant")
register_models(ns, *ALL)

list_args = reqparse.RequestParser(bundle_errors=True)
list_args.add_argument("cursor", type=str, help="Cursor from the previous page")
list_args.add_argument("limit", type=int, help="Page size, 1 to 200 (default 50)")
list_args.add_argument("email", type=str, help="Exact email, case-insensitive")
list_args.add_argument("username", type=str, help="Exact username, case-insensitive")
list_args.add_argument("is_verified", type=inputs.boolean, help="true or false")
list_args.add_argument("is_active", type=inputs.boolean, help="true or false")
list_args.add_argument("q", type=str, help="Prefix of email, username or display name")
delete_args = reqparse.RequestParser(bundle_errors=True)
delete_args.add_argument("erase", type=inputs.boolean, help="true or false")


def parse_query(parser: reqparse.RequestParser) -> dict:
    """Query-string arguments, with bad values reported as a 422 by field."""
    errors: dict[str, list[str]] = {}
    values: dict = {}
    for argument in parser.args:
        raw = request.args.get(argument.name)
        if raw is None:
            values[argument.name] = None
            continue
        try:
            values[argument.name] = argument.type(raw)
        except (ValueError, TypeError):
            errors[argument.name] = [f"Invalid value {raw!r}: {argument.help}."]
    unknown = set(request.args) - {argument.name for argument in parser.args}
    for name in sorted(unknown):
        errors[name] = ["Unknown query parameter."]
    if errors:
        raise ValidationFailed("The query string has invalid parameters.", errors)
    return values


def actor() -> str:
    return current_principal().actor


@ns.route("")
class UserList(Resource):
    @require_scope("users:read")
    @ns.expect(list_args)
    @ns.response(200, "A page of users", user_page)
    @document_errors(ns, 403, 422)
    def get(self):
        """List users, oldest first, with cursor pagination, filters and prefix search."""
        args = parse_query(list_args)
        page = reads.read_users_page(
            reads.user_filters(args), args["cursor"], page_limit(args["limit"])
        )
        return {"items": [row.payload() for row in page.items], "next_cursor": page.next_cursor}

    @require_scope("users:write")
    @expect_json(ns, user_in)
    @ns.response(201, "Created", user_out)
    @document_errors(ns, 400, 403, 409, 413, 415, 422)
    def post(self, body):
        """Create a user (an admin action: no verification email is sent)."""
        return user_payload(service.create_user(body, actor=actor())), 201


@ns.route("/<string:user_id>")
@ns.param("user_id", "The user's id")
class UserItem(Resource):
    @require_scope("users:read")
    @ns.response(200, "The user", user_out)
    @document_errors(ns, 403, 404)
    def get(self, user_id):
        """Read one user."""
        return reads.read_user_row(user_id).payload()

    @require_scope("users:write")
    @expect_json(ns, user_patch)
    @ns.response(200, "The changed user", user_out)
    @document_errors(ns, 400, 403, 404, 409, 413, 415, 422)
    def patch(self, user_id, body):
        """Change a user's profile, flags (`is_active`, `is_verified`) or roles."""
        return user_payload(service.update_user(service.get_user(user_id), body, actor=actor()))

    @require_scope("users:write")
    @ns.doc(params={"erase": "true: also erase every personal value held about the user"})
    @ns.response(204, "Deleted")
    @document_errors(ns, 403, 404, 422)
    def delete(self, user_id):
        """Delete a user; with `erase=true` also erase their data (see docs/operations.md)."""
        erase = parse_query(delete_args)["erase"]
        user = service.get_user(user_id)
        if erase:
            service.erase_user(user, actor=actor())
        else:
            service.delete_user(user, actor=actor())
        return "", 204


import_in = Model(
    "UserImport",
    {
        "users": fields.List(
            AnyJson,
            required=True,
            max_items=importer.MAX_ROWS,
            description=(
                "Up to 1,000 users: email, username, password_hash (argon2, werkzeug pbkdf2, "
                "bcrypt, passlib pbkdf2-sha256), display_name, is_verified, external_user_id, ..."
            ),
            example=[{"email": "ada@example.com", "password_hash": "$2b$12$..."}],
        )
    },
    strict=True,
)
import_result = Model(
    "UserImportResult",
    {
        "results": fields.List(
            fields.Raw,
            example=[{"index": 0, "status": "created", "id": "0190d1c4-..."}],
        ),
        "created": fields.Integer(example=1),
        "failed": fields.Integer(example=0),
    },
)
register_models(ns, import_in, import_result, session_out)


@ns.route("/import")
class UserImport(Resource):
    @require_scope("users:write")
    @expect_json(ns, import_in)
    @ns.response(200, "One result per row; each row is all-or-nothing", import_result)
    @document_errors(ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Import users with password hashes from another system."""
        results = importer.import_users(body["users"], actor=actor())
        created = sum(1 for r in results if r["status"] == "created")
        return {"results": results, "created": created, "failed": len(results) - created}


@ns.route("/<string:user_id>/sessions")
@ns.param("user_id", "The user's id")
class UserSessions(Resource):
    @require_scope("sessions")
    @ns.marshal_list_with(session_out)
    @document_errors(ns, 403, 404)
    def get(self, user_id):
        """List a user's active device sessions."""
        return sessions.list_sessions(service.get_user(user_id).id)

    @require_scope("sessions")
    @ns.response(204, "Every session revoked")
    @document_errors(ns, 403, 404)
    def delete(self, user_id):
        """Force logout: revoke all of a user's sessions."""
        user = service.get_user(user_id)
        sessions.revoke_all(
            user.id, "admin_revoked", policy_for(auth_service.current_tenant()), actor()
        )
        db.session.commit()
        return "", 204


@ns.route("/<string:user_id>/unlock")
@ns.param("user_id", "The user's id")
class UserUnlock(Resource):
    @require_scope("users:write")
    @ns.response(204, "Failed-login counters and lockout cleared")
    @document_errors(ns, 403, 404)
    def post(self, user_id):
        """Unlock a user locked out by failed sign-ins."""
        auth_service.unlock(service.get_user(user_id), actor=actor())
        return "", 204
