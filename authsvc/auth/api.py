"""REST resources for end-user authentication (``/auth``) and self-service (``/me``)."""

from __future__ import annotations

from flask import Response, request
from flask_restx import Namespace, Resource, marshal

from authsvc.api import ratelimit
from authsvc.api.docs import document_errors
from authsvc.api.validation import expect_json, register_models
from authsvc.apikeys.authentication import require_scope
from authsvc.auth import context, mfa, schemas, service
from authsvc.auth.tenant_policy import policy_for
from authsvc.errors import AuthenticationFailed, PermissionDenied, ValidationFailed
from authsvc.extensions import db
from authsvc.organizations.permissions import grants
from authsvc.sessions import service as sessions
from authsvc.tokens.bearer import current_claims, require_token
from authsvc.users.reads import read_user_row
from authsvc.users.schemas import user_out
from authsvc.users.service import get_user, user_payload

auth_ns = Namespace("auth", description="Sign-up, sign-in, tokens and account recovery")
me_ns = Namespace("me", description="The signed-in end user (Bearer access token)")
register_models(auth_ns, *schemas.ALL, user_out)
register_models(me_ns, *schemas.ALL, user_out)

ACCEPTED = {"status": "accepted"}


def login_response(result: service.LoginResult):
    if result.mfa_required:
        return {"mfa_required": True, "mfa_token": result.mfa_token}
    return {
        "access_token": result.access_token,
        "refresh_token": result.refresh_token,
        "token_type": "Bearer",
        "expires_in": result.expires_in,
    }


@auth_ns.route("/register")
class Register(Resource):
    decorators = ratelimit.flow_limits("REGISTER", account=("email",))

    @require_scope("auth")
    @expect_json(auth_ns, schemas.register_in)
    @auth_ns.response(201, "Registered; a verification email is on its way", user_out)
    @auth_ns.response(202, "Accepted, for any address (tenants with `email_owner` conflicts)")
    @document_errors(auth_ns, 400, 403, 409, 413, 415, 422)
    def post(self, body):
        """Sign up with email, optional username, and password."""
        user = service.register(body, context.from_request(body))
        if user is None:
            return ACCEPTED, 202
        return user_payload(user), 201


@auth_ns.route("/login")
class Login(Resource):
    decorators = ratelimit.flow_limits("LOGIN", account=("username", "email"))

    @require_scope("auth")
    @expect_json(auth_ns, schemas.login_in)
    @auth_ns.response(200, "Signed in, or `mfa_required` with an `mfa_token`", schemas.tokens_out)
    @document_errors(auth_ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Sign in with a username or email (either field) and password."""
        identifier = body.get("username") or body.get("email")
        if not identifier:
            raise ValidationFailed(errors={"username": ["Give a username or an email."]})
        return login_response(
            service.login(identifier, body["password"], context.from_request(body))
        )


@auth_ns.route("/mfa")
class MfaLogin(Resource):
    # An MFA token names one account's pending sign-in.
    decorators = ratelimit.flow_limits("MFA", account=("mfa_token",))

    @require_scope("auth")
    @expect_json(auth_ns, schemas.mfa_in)
    @auth_ns.response(200, "Signed in", schemas.tokens_out)
    @document_errors(auth_ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Complete a sign-in with a TOTP or recovery code."""
        ctx = context.from_request(body)
        return login_response(service.complete_mfa(body["mfa_token"], body["code"], ctx))


@auth_ns.route("/refresh")
class Refresh(Resource):
    # Per address only: a refresh token is spent on use, and reusing one revokes its session.
    decorators = ratelimit.flow_limits("REFRESH")

    @require_scope("auth")
    @expect_json(auth_ns, schemas.refresh_in)
    @auth_ns.response(200, "A new token pair; the old refresh token is spent", schemas.tokens_out)
    @document_errors(auth_ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Exchange a refresh token for a new pair (rotation; reuse revokes the session)."""
        return login_response(service.refresh(body["refresh_token"]))


@auth_ns.route("/logout")
class Logout(Resource):
    @require_token
    @auth_ns.response(204, "Signed out")
    @document_errors(auth_ns)
    def post(self):
        """End this session: its refresh tokens and this access token stop working."""
        service.logout(current_claims())
        return "", 204


@auth_ns.route("/validate")
class Validate(Resource):
    @require_token
    @auth_ns.param("tenant", "Slug of the only tenant whose tokens are accepted", _in="query")
    @auth_ns.param("X-Tenant", "The same check, as a header the proxy sets", _in="header")
    @auth_ns.param("permission", "A permission the active organization must grant", _in="query")
    @auth_ns.response(200, "Valid; identity in X-User-*, X-Tenant-* and X-Org-* headers")
    @document_errors(auth_ns, 403)
    def get(self):
        """For reverse proxies (nginx auth_request, Traefik forwardAuth): is this token valid?

        Without an API key any tenant's token is valid here; a proxy in front of one
        tenant's app names that tenant (``?tenant=<slug>`` or ``X-Tenant``), and a token
        of any other tenant is then refused (401).
        """
        claims = current_claims()
        expected = {request.args.get("tenant"), request.headers.get("X-Tenant")} - {None}
        if any(slug.strip() != claims.tenant_slug for slug in expected):
            raise AuthenticationFailed("The token belongs to another tenant.", scheme="Bearer")
        wanted = request.args.get("permission")
        if wanted is not None and not (
            wanted.strip() and grants(claims.org_permissions, wanted.strip())
        ):
            raise PermissionDenied(f"The token does not grant {wanted.strip()!r}.")
        # A Response, which restx passes through: no JSON rendering for an empty answer.
        return Response(status=200, headers=identity_headers(claims))


@auth_ns.route("/verify-email")
class VerifyEmail(Resource):
    @require_scope("auth")
    @expect_json(auth_ns, schemas.token_in)
    @auth_ns.response(200, "Verified", user_out)
    @document_errors(auth_ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Confirm an email address with the token from the verification email."""
        return user_payload(service.verify_email(body["token"]))


@auth_ns.route("/resend-verification")
class ResendVerification(Resource):
    decorators = ratelimit.flow_limits("RESEND_VERIFICATION", account=("email",))

    @require_scope("auth")
    @expect_json(auth_ns, schemas.email_in)
    @auth_ns.response(202, "Accepted (the same answer whether or not the account exists)")
    @document_errors(auth_ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Send a new verification email (at most 3 an hour per user)."""
        service.resend_verification(body["email"])
        return ACCEPTED, 202


@auth_ns.route("/forgot-password")
class ForgotPassword(Resource):
    decorators = ratelimit.flow_limits("FORGOT_PASSWORD", account=("email",))

    @require_scope("auth")
    @expect_json(auth_ns, schemas.email_in)
    @auth_ns.response(202, "Accepted (the same answer whether or not the account exists)")
    @document_errors(auth_ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Email a password-reset link."""
        service.request_password_reset(body["email"])
        return ACCEPTED, 202


@auth_ns.route("/reset-password")
class ResetPassword(Resource):
    @require_scope("auth")
    @expect_json(auth_ns, schemas.reset_in)
    @auth_ns.response(204, "Password changed; every session ended")
    @document_errors(auth_ns, 400, 403, 413, 415, 422)
    def post(self, body):
        """Set a new password with the token from the reset email (single use)."""
        service.reset_password(body["token"], body["new_password"])
        return "", 204


def identity_headers(claims) -> list[tuple[str, str]]:
    return [
        ("X-User-Id", claims.sub),
        ("X-User-Email", claims.email),
        ("X-User-Roles", ",".join(claims.roles)),
        ("X-Tenant-Id", str(claims.tid)),
        ("X-Tenant-Slug", claims.tenant_slug),
        # Always sent, empty without an active organization, so that a proxy copying
        # them overwrites whatever X-Org-* headers the client sent.
        ("X-Org-Id", claims.org_id or ""),
        ("X-Org-Slug", claims.org_slug or ""),
        ("X-Org-Roles", ",".join(claims.org_roles)),
        ("X-Org-Permissions", ",".join(claims.org_permissions)),
        ("Cache-Control", "no-store"),
    ]


def me():
    return get_user(current_claims().sub)


def session_rows(user_id, current_sid: str):
    rows = []
    for session in sessions.list_sessions(user_id):
        row = marshal(session, schemas.session_out)
        row["current"] = str(session.id) == current_sid
        rows.append(row)
    return rows


@me_ns.route("")
class Me(Resource):
    @require_token
    @me_ns.response(200, "The signed-in user", user_out)
    @document_errors(me_ns)
    def get(self):
        """Read the signed-in user, with preferences."""
        row = read_user_row(current_claims().sub)
        return {**row.payload(), "preferences": row.preferences}

    @require_token
    @expect_json(me_ns, schemas.me_patch)
    @document_errors(me_ns, 400, 413, 415, 422)
    def patch(self, body):
        """Change display name, avatar or preferences (by category)."""
        from authsvc.users.service import update_profile

        user = update_profile(me(), body, actor=f"user:{current_claims().sub}")
        return {**user_payload(user), "preferences": user.preferences}


@me_ns.route("/password")
class MyPassword(Resource):
    @require_token
    @expect_json(me_ns, schemas.password_in)
    @me_ns.response(204, "Changed; your other sessions were signed out")
    @document_errors(me_ns, 400, 413, 415, 422)
    def post(self, body):
        """Change the password (needs the current one)."""
        claims = current_claims()
        service.change_password(
            me(), body["current_password"], body["new_password"], keep_session=_uuid(claims.sid)
        )
        return "", 204


def _uuid(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@me_ns.route("/sessions")
class MySessions(Resource):
    @require_token
    @me_ns.response(200, "Active sessions; `current` marks this one", [schemas.session_out])
    @document_errors(me_ns)
    def get(self):
        """List my active device sessions."""
        claims = current_claims()
        return session_rows(_uuid(claims.sub), claims.sid)

    @require_token
    @me_ns.response(204, "Every other session revoked")
    @document_errors(me_ns)
    def delete(self):
        """Sign out everywhere else."""
        claims = current_claims()
        rules = policy_for(service.current_tenant())
        sessions.revoke_all(
            _uuid(claims.sub), "user_revoked", rules, f"user:{claims.sub}", keep=_uuid(claims.sid)
        )
        db.session.commit()
        return "", 204


@me_ns.route("/sessions/<string:session_id>")
class MySession(Resource):
    @require_token
    @me_ns.response(204, "Revoked")
    @document_errors(me_ns, 404)
    def delete(self, session_id):
        """Sign out one of my sessions."""
        claims = current_claims()
        session = sessions.get_session(session_id, user_id=_uuid(claims.sub))
        rules = policy_for(service.current_tenant())
        sessions.revoke(session, "user_revoked", rules, actor=f"user:{claims.sub}")
        db.session.commit()
        return "", 204


@me_ns.route("/mfa/totp")
class MyTotp(Resource):
    @require_token
    @me_ns.response(200, "Scan the QR code, then confirm with a code", schemas.enrolment_out)
    @document_errors(me_ns, 409)
    def post(self):
        """Start TOTP enrolment."""
        return mfa.enrol(me(), issuer_name=service.current_tenant().name)

    @require_token
    @expect_json(me_ns, schemas.mfa_disable_in)
    @me_ns.response(204, "TOTP disabled")
    @document_errors(me_ns, 400, 404, 413, 415, 422)
    def delete(self, body):
        """Disable TOTP (needs a current code or the password)."""
        user = me()
        service.reauthenticate(
            user, body.get("password"), body.get("code"), "Give a valid code or your password."
        )
        mfa.disable(user, actor=f"user:{user.id}")
        return "", 204


@me_ns.route("/mfa/totp/confirm")
class MyTotpConfirm(Resource):
    @require_token
    @expect_json(me_ns, schemas.code_in)
    @me_ns.response(200, "Enabled; store the recovery codes now", schemas.recovery_out)
    @document_errors(me_ns, 400, 404, 409, 413, 415, 422)
    def post(self, body):
        """Confirm TOTP with a first code; returns ten single-use recovery codes."""
        return {"recovery_codes": mfa.confirm(me(), body["code"])}
