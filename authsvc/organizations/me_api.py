"""End-user resources (Bearer): my organizations, the active one, accepting invitations."""

from __future__ import annotations

import uuid

from flask_restx import Namespace, Resource

from authsvc.api.docs import document_errors
from authsvc.api.validation import expect_json, register_models
from authsvc.auth import schemas as auth_schemas
from authsvc.auth.tenant_policy import tenant_auth
from authsvc.organizations import active, invitations, schemas
from authsvc.tokens import jwt as tokens
from authsvc.tokens.bearer import current_claims, require_token
from authsvc.users.service import get_user

my_orgs_ns = Namespace("me-organizations", description="The signed-in user's organizations")
my_org_ns = Namespace("me-organization", description="The session's active organization")
invitations_ns = Namespace("invitations", description="Accepting an organization invitation")
register_models(my_orgs_ns, schemas.my_organization_out)
register_models(my_org_ns, schemas.switch_in, *auth_schemas.ALL)
register_models(invitations_ns, schemas.accept_in, schemas.accepted_out)


@my_orgs_ns.route("")
class MyOrganizations(Resource):
    @require_token
    @my_orgs_ns.response(200, "My organizations by name", [schemas.my_organization_out])
    @document_errors(my_orgs_ns)
    def get(self):
        """List the organizations I belong to, with my roles; `active` marks the token's."""
        claims = current_claims()
        return [
            {
                "id": str(org.id),
                "name": org.name,
                "slug": org.slug,
                "roles": membership.roles,
                "active": str(org.id) == claims.org_id,
            }
            for org, membership in active.my_organizations(uuid.UUID(claims.sub))
        ]


@my_org_ns.route("")
class MyActiveOrganization(Resource):
    @require_token
    @expect_json(my_org_ns, schemas.switch_in)
    @my_org_ns.response(200, "A new token pair carrying org_* claims", auth_schemas.tokens_out)
    @document_errors(my_org_ns, 400, 403, 404, 413, 415, 422)
    def post(self, body):
        """Switch the session's active organization (`null`: none).

        The session remembers the choice, so refreshed tokens keep it. The
        session's earlier refresh tokens are spent: use the new pair.
        """
        claims = current_claims()
        session_id = uuid.UUID(claims.sid)
        user, organization, refresh = active.switch(claims.sub, session_id, body["organization_id"])
        # The tenant's cached facts, as a refresh signs with: no read of the tenant row.
        tenant = tenant_auth()
        access, ttl = tokens.issue_access_token(
            user=user,
            session_id=session_id,
            tenant_slug=tenant.slug,
            policy=tenant.policy,
            organization=organization,
            amr=claims.amr,
        )
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": ttl,
        }


@invitations_ns.route("/accept")
class AcceptInvitation(Resource):
    @require_token
    @expect_json(invitations_ns, schemas.accept_in)
    @invitations_ns.response(200, "Joined the organization", schemas.accepted_out)
    @document_errors(invitations_ns, 400, 403, 409, 413, 415, 422)
    def post(self, body):
        """Accept an invitation (single use; not when expired, revoked or for another address)."""
        org_id = invitations.accept_invitation(body["token"], get_user(current_claims().sub))
        return {"organization_id": str(org_id)}
