"""REST resources for the tenant's identity providers (scope ``admin``)."""

from __future__ import annotations

from flask import url_for
from flask_restx import Namespace, Resource

from authsvc.api import ratelimit
from authsvc.api.docs import document_errors
from authsvc.api.validation import expect_json, register_models
from authsvc.apikeys.authentication import current_principal, require_scope
from authsvc.auth import context
from authsvc.auth.api import login_response
from authsvc.auth.schemas import mfa_challenge_out, tokens_out
from authsvc.federation import accounts, codes, service, status
from authsvc.federation.flow import callback_urls
from authsvc.federation.schemas import (
    PROVIDER_MODELS,
    exchange_in,
    identity_out,
    provider_button,
    provider_in,
    provider_out,
    provider_patch,
    provider_status_out,
)
from authsvc.ids import parse_id
from authsvc.tokens.bearer import current_claims, require_token

ns = Namespace(
    "identity-providers",
    description="Sign-in providers (OpenID Connect, Microsoft Entra ID, Google, GitHub) of the "
    "tenant. "
    "Client secrets are sealed at rest and never returned.",
)
register_models(ns, *PROVIDER_MODELS)
buttons_ns = Namespace("auth-providers", description="Sign-in options for tenant apps")
register_models(buttons_ns, provider_button)
exchange_ns = Namespace("auth-exchange", description="Finish a provider sign-in in a tenant app")
register_models(exchange_ns, exchange_in, tokens_out, mfa_challenge_out)
identities_ns = Namespace("me-identities", description="My links to sign-in providers")
register_models(identities_ns, identity_out)


def _shown(provider):
    provider.redirect_uris = callback_urls(provider)
    provider.redirect_uri = provider.redirect_uris[0]
    return provider


@ns.route("")
class IdentityProviderList(Resource):
    @require_scope("admin")
    @ns.marshal_list_with(provider_out)
    @document_errors(ns, 403)
    def get(self):
        """List the tenant's identity providers, oldest first."""
        return [_shown(provider) for provider in service.list_providers()]

    @require_scope("admin")
    @expect_json(ns, provider_in)
    @ns.marshal_with(provider_out, code=201, description="Created")
    @document_errors(ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Add a provider; register its `redirect_uri` at the provider."""
        provider = service.create_provider(body, actor=current_principal().actor)
        return _shown(provider), 201


@ns.route("/status")
class IdentityProviderStatusList(Resource):
    @require_scope("admin")
    @ns.marshal_list_with(provider_status_out)
    @document_errors(ns, 403)
    def get(self):
        """Whether each provider answered lately (its last discovery fetch, success and
        failure), oldest provider first: the tenant's sign-in health."""
        return status.reachability()


@ns.route("/<string:provider_id>")
@ns.param("provider_id", "The provider's id")
class IdentityProviderItem(Resource):
    @require_scope("admin")
    @ns.marshal_with(provider_out)
    @document_errors(ns, 403, 404)
    def get(self, provider_id):
        """Read a provider (never its client secret)."""
        return _shown(service.get_provider(provider_id))

    @require_scope("admin")
    @expect_json(ns, provider_patch)
    @ns.marshal_with(provider_out)
    @document_errors(ns, 400, 403, 404, 413, 415, 422)
    def patch(self, provider_id, body):
        """Change a provider; `client_secret` replaces the secret."""
        provider = service.get_provider(provider_id)
        actor = current_principal().actor
        return _shown(service.update_provider(provider, body, actor=actor))

    @require_scope("admin")
    @ns.response(204, "Deleted")
    @document_errors(ns, 403, 404)
    def delete(self, provider_id):
        """Delete a provider and its users' links to it (the users stay)."""
        service.delete_provider(service.get_provider(provider_id), actor=current_principal().actor)
        return "", 204


@buttons_ns.route("")
class SignInProviderList(Resource):
    @require_scope("auth")
    @buttons_ns.marshal_list_with(provider_button)
    @document_errors(buttons_ns, 403)
    def get(self):
        """The tenant's enabled providers, to draw one sign-in button each."""
        providers = service.list_providers(enabled_only=True)
        for provider in providers:
            provider.login_url = url_for(
                "hosted.federation_start",
                slug=current_principal().tenant_slug,
                provider_id=str(provider.id),
                _external=True,
            )
        return providers


@identities_ns.route("")
class MyIdentityList(Resource):
    @require_token
    @identities_ns.marshal_list_with(identity_out)
    @document_errors(identities_ns)
    def get(self):
        """My links to sign-in providers."""
        return accounts.list_identities(parse_id(current_claims().sub, "user"))


@identities_ns.route("/<string:identity_id>")
@identities_ns.param("identity_id", "The link's id")
class MyIdentityItem(Resource):
    @require_token
    @identities_ns.response(204, "Unlinked")
    @document_errors(identities_ns, 404, 409)
    def delete(self, identity_id):
        """Unlink a provider; refused (409) when it is my last way to sign in."""
        accounts.unlink_identity(parse_id(current_claims().sub, "user"), identity_id)
        return "", 204


@exchange_ns.route("")
class SignInCodeExchange(Resource):
    # An exchange finishes a sign-in: the sign-in's limit per end-user address.
    decorators = ratelimit.flow_limits("LOGIN")

    @require_scope("auth")
    @expect_json(exchange_ns, exchange_in)
    @exchange_ns.response(200, "Signed in, or `mfa_required` with an `mfa_token`", tokens_out)
    @document_errors(exchange_ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Turn the one-time `code` from a provider sign-in into a token pair (single use);
        a code started with a `code_challenge` needs its `code_verifier`."""
        ctx = context.from_request(body)
        return login_response(codes.exchange(body["code"], ctx, body.get("code_verifier")))
