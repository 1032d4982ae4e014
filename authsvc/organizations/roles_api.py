"""REST resources for the tenant's roles and declared permissions (scopes ``orgs:*``).

Roles are the tenant's one role system: assignable to users tenant-wide and to
members per organization.
"""

from __future__ import annotations

from flask_restx import Namespace, Resource

from authsvc.api.docs import document_errors
from authsvc.api.validation import expect_json, register_models
from authsvc.apikeys.authentication import current_principal, require_scope
from authsvc.organizations import permissions, schemas
from authsvc.users import roles
from authsvc.users.models import Role

roles_ns = Namespace("roles", description="Roles: named sets of permissions")
permissions_ns = Namespace("permissions", description="The permissions the tenant declares")
register_models(roles_ns, schemas.role_out, schemas.role_in, schemas.role_patch)
register_models(permissions_ns, schemas.permission_out, schemas.permission_in)


def role_payload(role: Role) -> dict:
    return {
        "id": str(role.id),
        "name": role.name,
        "description": role.description,
        "permissions": list(role.permissions),
        "is_builtin": role.is_builtin,
    }


def actor() -> str:
    return current_principal().actor


@roles_ns.route("")
class RoleList(Resource):
    @require_scope("orgs:read")
    @roles_ns.response(200, "Every role, by name", [schemas.role_out])
    @document_errors(roles_ns, 403)
    def get(self):
        """List the tenant's roles."""
        return [role_payload(role) for role in roles.list_roles()]

    @require_scope("orgs:write")
    @expect_json(roles_ns, schemas.role_in)
    @roles_ns.response(201, "Created", schemas.role_out)
    @document_errors(roles_ns, 400, 403, 409, 413, 415, 422)
    def post(self, body):
        """Create a role; its permissions must be declared (once the tenant declares any)."""
        return role_payload(roles.create_role(body, actor=actor())), 201


@roles_ns.route("/<string:role_id>")
@roles_ns.param("role_id", "The role's id")
class RoleItem(Resource):
    @require_scope("orgs:read")
    @roles_ns.response(200, "The role", schemas.role_out)
    @document_errors(roles_ns, 403, 404)
    def get(self, role_id):
        """Read one role."""
        return role_payload(roles.get_role(role_id))

    @require_scope("orgs:write")
    @expect_json(roles_ns, schemas.role_patch)
    @roles_ns.response(200, "The changed role", schemas.role_out)
    @document_errors(roles_ns, 400, 403, 404, 409, 413, 415, 422)
    def patch(self, role_id, body):
        """Rename a custom role, or change its description or permissions."""
        role = roles.get_role(role_id)
        current = {"name": role.name, "description": role.description}
        data = {**current, "permissions": role.permissions, **body}
        return role_payload(roles.update_role(role, data, actor=actor()))

    @require_scope("orgs:write")
    @roles_ns.response(204, "Deleted; its holders lose it")
    @document_errors(roles_ns, 403, 404, 409)
    def delete(self, role_id):
        """Delete a custom role."""
        roles.delete_role(roles.get_role(role_id), actor=actor())
        return "", 204


@permissions_ns.route("")
class PermissionList(Resource):
    @require_scope("orgs:read")
    @permissions_ns.response(200, "Every declared permission", [schemas.permission_out])
    @document_errors(permissions_ns, 403)
    def get(self):
        """List the declared permissions."""
        return [permissions.permission_payload(p) for p in permissions.list_permissions()]

    @require_scope("orgs:write")
    @expect_json(permissions_ns, schemas.permission_in)
    @permissions_ns.response(201, "Declared", schemas.permission_out)
    @document_errors(permissions_ns, 400, 403, 409, 413, 415, 422)
    def post(self, body):
        """Declare a permission (from then on, roles may name only declared ones)."""
        return permissions.permission_payload(
            permissions.create_permission(body, actor=actor())
        ), 201


@permissions_ns.route("/<string:permission_id>")
@permissions_ns.param("permission_id", "The permission's id")
class PermissionItem(Resource):
    @require_scope("orgs:write")
    @permissions_ns.response(204, "Removed")
    @document_errors(permissions_ns, 403, 404, 409)
    def delete(self, permission_id):
        """Remove a declared permission that no role grants."""
        permissions.delete_permission(permissions.get_permission(permission_id), actor=actor())
        return "", 204
