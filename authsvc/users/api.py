"""REST resources for users: list, create, read, update, delete."""

from __future__ import annotations

from flask import request
from flask_restx import Namespace, Resource, inputs, reqparse

from authsvc.api.credentials import current_principal, require_scope
from authsvc.api.docs import document_errors
from authsvc.api.validation import expect_json, register_models
from authsvc.errors import ValidationFailed
from authsvc.pagination import page_limit
from authsvc.users import service
from authsvc.users.schemas import ALL, user_in, user_out, user_page, user_patch

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
    @ns.marshal_with(user_page)
    @document_errors(ns, 403, 422)
    def get(self):
        """List users, oldest first, with cursor pagination, filters and prefix search."""
        args = parse_query(list_args)
        return service.list_users(args, args["cursor"], page_limit(args["limit"]))

    @require_scope("users:write")
    @expect_json(ns, user_in)
    @ns.marshal_with(user_out, code=201, description="Created")
    @document_errors(ns, 400, 403, 409, 413, 415, 422)
    def post(self, body):
        """Create a user (an admin action: no verification email is sent)."""
        return service.create_user(body, actor=actor()), 201


@ns.route("/<string:user_id>")
@ns.param("user_id", "The user's id")
class UserItem(Resource):
    @require_scope("users:read")
    @ns.marshal_with(user_out)
    @document_errors(ns, 403, 404)
    def get(self, user_id):
        """Read one user."""
        return service.get_user(user_id)

    @require_scope("users:write")
    @expect_json(ns, user_patch)
    @ns.marshal_with(user_out)
    @document_errors(ns, 400, 403, 404, 409, 413, 415, 422)
    def patch(self, user_id, body):
        """Change a user's profile, flags (`is_active`, `is_verified`) or roles."""
        return service.update_user(service.get_user(user_id), body, actor=actor())

    @require_scope("users:write")
    @ns.response(204, "Deleted")
    @document_errors(ns, 403, 404)
    def delete(self, user_id):
        """Delete a user."""
        service.delete_user(service.get_user(user_id), actor=actor())
        return "", 204
