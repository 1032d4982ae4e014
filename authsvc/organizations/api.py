"""REST resources for organizations, their members and invitations (server-side keys)."""

from __future__ import annotations

from flask_restx import Namespace, Resource, reqparse

from authsvc.api.docs import document_errors
from authsvc.api.validation import expect_json, register_models
from authsvc.apikeys.authentication import current_principal, require_scope
from authsvc.organizations import invitations, members, schemas, service
from authsvc.organizations.invitations import invitation_payload
from authsvc.organizations.service import organization_payload
from authsvc.pagination import page_limit
from authsvc.users.api import parse_query

ns = Namespace("organizations", description="Organizations inside the API key's tenant")
register_models(ns, *schemas.ALL)

org_args = reqparse.RequestParser()
org_args.add_argument("cursor", type=str, help="Cursor from the previous page")
org_args.add_argument("limit", type=int, help="Page size, 1 to 200 (default 50)")
org_args.add_argument("slug", type=str, help="Exact slug")
org_args.add_argument("q", type=str, help="Prefix of the name or slug")

member_args = reqparse.RequestParser()
member_args.add_argument("cursor", type=str, help="Cursor from the previous page")
member_args.add_argument("limit", type=int, help="Page size, 1 to 200 (default 50)")
member_args.add_argument("role", type=str, help="Members holding this role")
member_args.add_argument("email", type=str, help="Exact email, case-insensitive")


def _state(value: str) -> str:
    if value not in invitations.STATES:
        raise ValueError(value)
    return value


invitation_args = reqparse.RequestParser()
invitation_args.add_argument("cursor", type=str, help="Cursor from the previous page")
invitation_args.add_argument("limit", type=int, help="Page size, 1 to 200 (default 50)")
invitation_args.add_argument("state", type=_state, help="pending, accepted, revoked or expired")


def actor() -> str:
    return current_principal().actor


@ns.route("")
class OrganizationList(Resource):
    @require_scope("orgs:read")
    @ns.expect(org_args)
    @ns.response(200, "A page of organizations", schemas.organization_page)
    @document_errors(ns, 403, 422)
    def get(self):
        """List organizations, oldest first, with cursor pagination."""
        args = parse_query(org_args)
        page = service.list_organizations(args, args["cursor"], page_limit(args["limit"]))
        items = [organization_payload(o) for o in page.items]
        return {"items": items, "next_cursor": page.next_cursor}

    @require_scope("orgs:write")
    @expect_json(ns, schemas.organization_in)
    @ns.response(201, "Created", schemas.organization_out)
    @document_errors(ns, 400, 403, 409, 413, 415, 422)
    def post(self, body):
        """Create an organization (`organization.created`)."""
        return organization_payload(service.create_organization(body, actor())), 201


@ns.route("/<string:org_id>")
@ns.param("org_id", "The organization's id")
class OrganizationItem(Resource):
    @require_scope("orgs:read")
    @ns.response(200, "The organization", schemas.organization_out)
    @document_errors(ns, 403, 404)
    def get(self, org_id):
        """Read one organization."""
        return organization_payload(service.get_organization(org_id))

    @require_scope("orgs:write")
    @expect_json(ns, schemas.organization_patch)
    @ns.response(200, "The changed organization", schemas.organization_out)
    @document_errors(ns, 400, 403, 404, 409, 413, 415, 422)
    def patch(self, org_id, body):
        """Change the name, slug, metadata or auto-join email domains."""
        org = service.get_organization(org_id)
        return organization_payload(service.update_organization(org, body, actor()))

    @require_scope("orgs:write")
    @ns.response(204, "Deleted, with its memberships and invitations")
    @document_errors(ns, 403, 404)
    def delete(self, org_id):
        """Delete an organization."""
        service.delete_organization(service.get_organization(org_id), actor())
        return "", 204


@ns.route("/<string:org_id>/members")
@ns.param("org_id", "The organization's id")
class MemberList(Resource):
    @require_scope("orgs:read")
    @ns.expect(member_args)
    @ns.response(200, "A page of members", schemas.member_page)
    @document_errors(ns, 403, 404, 422)
    def get(self, org_id):
        """List members, oldest first, optionally by role or email."""
        org = service.get_organization(org_id)
        args = parse_query(member_args)
        page = members.list_members(org, args, args["cursor"], page_limit(args["limit"]))
        emails = members.emails_of(page.items)
        items = [members.membership_payload(m, emails.get(m.user_id, "")) for m in page.items]
        return {"items": items, "next_cursor": page.next_cursor}

    @require_scope("orgs:write")
    @expect_json(ns, schemas.member_in)
    @ns.response(201, "Added", schemas.member_out)
    @document_errors(ns, 400, 403, 404, 409, 413, 415, 422)
    def post(self, org_id, body):
        """Add a user of the tenant, with roles (default `member`)."""
        membership = members.add_member(service.get_organization(org_id), body, actor())
        return members.membership_payload(membership), 201


@ns.route("/<string:org_id>/members/<string:user_id>")
@ns.param("org_id", "The organization's id")
@ns.param("user_id", "The member's user id")
class MemberItem(Resource):
    @require_scope("orgs:write")
    @expect_json(ns, schemas.member_patch)
    @ns.response(200, "The changed membership", schemas.member_out)
    @document_errors(ns, 400, 403, 404, 409, 413, 415, 422)
    def patch(self, org_id, user_id, body):
        """Replace a member's roles (the last owner keeps `admin`)."""
        membership = members.get_membership(service.get_organization(org_id), user_id)
        return members.membership_payload(members.update_member(membership, body, actor()))

    @require_scope("orgs:write")
    @ns.response(204, "Removed")
    @document_errors(ns, 403, 404, 409)
    def delete(self, org_id, user_id):
        """Remove a member (never the last owner)."""
        membership = members.get_membership(service.get_organization(org_id), user_id)
        members.remove_member(membership, actor())
        return "", 204


@ns.route("/<string:org_id>/invitations")
@ns.param("org_id", "The organization's id")
class InvitationList(Resource):
    @require_scope("orgs:read")
    @ns.expect(invitation_args)
    @ns.response(200, "A page of invitations", schemas.invitation_page)
    @document_errors(ns, 403, 404, 422)
    def get(self, org_id):
        """List invitations, oldest first, optionally by state."""
        org = service.get_organization(org_id)
        args = parse_query(invitation_args)
        limit = page_limit(args["limit"])
        page = invitations.list_invitations(org, args["state"], args["cursor"], limit)
        items = [invitation_payload(i) for i in page.items]
        return {"items": items, "next_cursor": page.next_cursor}

    @require_scope("orgs:write")
    @expect_json(ns, schemas.invitation_in)
    @ns.response(201, "Invited; the mail is queued", schemas.invitation_out)
    @document_errors(ns, 400, 403, 404, 409, 413, 415, 422)
    def post(self, org_id, body):
        """Invite an email address; the link (valid 7 days by default) goes by mail only."""
        org = service.get_organization(org_id)
        return invitation_payload(invitations.create_invitation(org, body, actor())), 201


@ns.route("/<string:org_id>/invitations/<string:invitation_id>")
@ns.param("org_id", "The organization's id")
@ns.param("invitation_id", "The invitation's id")
class InvitationItem(Resource):
    @require_scope("orgs:write")
    @ns.response(200, "Revoked", schemas.invitation_out)
    @document_errors(ns, 403, 404, 409)
    def delete(self, org_id, invitation_id):
        """Revoke a pending invitation; its link stops working."""
        invitation = invitations.get_invitation(service.get_organization(org_id), invitation_id)
        return invitation_payload(invitations.revoke_invitation(invitation, actor()))
