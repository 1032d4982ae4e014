"""End-user authentication flows, shared by the REST API and the hosted pages.

Every function runs under the tenant bound for the request. Writes, events and
outgoing mail are staged together and committed once; tokens are signed after
the commit, so a failed commit never leaves a usable token behind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from authsvc import events
from authsvc.auth import counting, mfa, notify, onetime, throttle
from authsvc.auth.context import ClientContext
from authsvc.auth.models import MfaFactor
from authsvc.auth.tenant_policy import AuthPolicy, TenantAuth, policy_for, tenant_auth
from authsvc.errors import AuthenticationFailed, PermissionDenied, RateLimited
from authsvc.extensions import db
from authsvc.mail import request_mail
from authsvc.metrics import instruments
from authsvc.passwords import burn_time, hash_password, needs_rehash, verify_password
from authsvc.sessions import service as sessions
from authsvc.tenancy import current_tenant_id
from authsvc.tenants.models import Tenant
from authsvc.tokens import jwt as tokens
from authsvc.users.emails import email_key, login_key
from authsvc.users.models import User
from authsvc.users.reads import UserRow, collect, read_user_row, select_user_rows
from authsvc.users.service import (
    check_password,
    find_user_by_email,
    get_user,
    set_password,
    stage_new_user,
)

INVALID_CREDENTIALS = "The email/username or password is not correct."
# registration_conflict: answer an existing address's sign-up like a new one, mail its owner.
EMAIL_OWNER = "email_owner"


@dataclass
class LoginResult:
    """Either a token pair for a new session, or an MFA challenge."""

    user: UserRow
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = None
    session_id: uuid.UUID | None = None
    mfa_token: str | None = None

    @property
    def mfa_required(self) -> bool:
        return self.mfa_token is not None


def current_tenant() -> Tenant:
    tenant = db.session.get(Tenant, current_tenant_id())
    if tenant is None:
        raise AuthenticationFailed("No tenant bound to this request.")
    return tenant


def register(data: dict, ctx: ClientContext) -> User | None:
    """Sign up: create the user (its password checked against the policy there) and
    request a verification mail.

    Returns the new user; or None when the tenant answers every registration
    alike (``registration_conflict: email_owner``): an address that already
    has an account then gets a mail telling its owner, and nothing else changes.
    """
    tenant = current_tenant()
    rules = policy_for(tenant)
    discreet = rules.registration_conflict == EMAIL_OWNER
    owner = find_user_by_email(data["email"]) if discreet else None
    if owner is not None:
        check_password(data["password"], email=data["email"], username=data.get("username"))
        burn_time(data["password"])  # what hashing a new account's password costs
        request_mail(notify.REGISTRATION_ATTEMPT, owner.email_normalized)
        db.session.commit()
        return None
    fields = {
        k: v for k, v in data.items() if k in {"email", "username", "password", "display_name"}
    }
    user = stage_new_user({**fields, "is_verified": False}, actor="self", via="password")
    request_mail(notify.VERIFY, user.email_normalized)
    db.session.commit()
    instruments.registered(tenant.slug)
    return None if discreet else user


#: RFC 8176 ``amr`` of a password sign-in, and what a TOTP step adds to any first factor.
PASSWORD_AMR = ("pwd",)
TOTP_AMR = ("otp", "mfa")


@counting.counted_sign_in("password", "wrong_password")
def login(identifier: str, password: str, ctx: ClientContext) -> LoginResult:
    """Password step. Locked or throttled attempts are refused before any hashing."""
    tenant = tenant_auth()
    rules = tenant.policy
    # A lock this process saw lately answers without a query (see throttle).
    _refuse(throttle.remembered(throttle.subjects(identifier, None, ctx.ip)))
    user, password_hash, mfa_on = find_for_login(identifier)
    counters = throttle.subjects(identifier, user, ctx.ip)
    verdict = throttle.check(counters)
    _refuse(verdict)
    valid = verify_password(password_hash, password)
    if not valid or not user.is_active:
        _failed(user, identifier, counters, rules, ctx)
    if not user.is_verified and not rules.allow_unverified_login:
        raise PermissionDenied("Verify your email address before signing in.")
    accounts = [name for name in counters if name.startswith("acct:")]
    if verdict.counted.intersection(accounts):
        throttle.clear(accounts)
    if needs_rehash(password_hash):
        _rehash(user.id, password)
    return continue_sign_in(user, mfa_on, ctx)


def continue_sign_in(
    user: UserRow,
    mfa_on: bool,
    ctx: ClientContext,
    via: str = "password",
    amr: tuple[str, ...] = PASSWORD_AMR,
) -> LoginResult:
    """After a first factor (a password, a provider named by ``via``, proven the ways
    ``amr`` says): an MFA challenge when ``mfa_on``, else a new session; commits what
    the caller staged."""
    tenant = tenant_auth()
    if mfa_on:
        db.session.commit()
        device = {"name": ctx.device_name, "id": ctx.device_id}
        token = tokens.issue_mfa_token(
            user=user,
            tenant_slug=tenant.slug,
            policy=tenant.policy,
            device=device,
            via=via,
            amr=amr,
        )
        return LoginResult(user=user, mfa_token=token)
    return _open_session(tenant, user, ctx, tenant.policy, via, amr)


# Whether a confirmed TOTP factor guards the account: sign-in reads it with the user.
_MFA_ON = (
    sa.exists()
    .where(
        MfaFactor.tenant_id == User.tenant_id,
        MfaFactor.user_id == User.id,
        MfaFactor.confirmed_at.is_not(None),
    )
    .label("mfa_on")
)


def find_for_login(identifier: str) -> tuple[UserRow | None, str | None, bool]:
    """The user an identifier names (email or username, any case), its password hash,
    and whether a confirmed TOTP factor guards the account; (None, None, False) if none."""
    normalized = login_key(identifier)
    column = User.email_normalized if "@" in normalized else User.username_normalized
    statement = select_user_rows(User.password_hash, _MFA_ON).where(column == normalized)
    found = collect(db.session.execute(statement))
    if not found:
        return None, None, False
    user, (password_hash, mfa_on) = found[0]
    return user, password_hash, bool(mfa_on)


def _rehash(user_id, password: str) -> None:
    """Store the password under current argon2id parameters (old ones, or a legacy hash)."""
    db.session.execute(
        sa.update(User).where(User.id == user_id).values(password_hash=hash_password(password))
    )


def _refuse(verdict: throttle.Verdict) -> None:
    if verdict.locked:
        raise RateLimited(
            "Too many failed sign-in attempts; try again later.", retry_after=verdict.retry_after
        )


def _refuse_if_locked(counters: list[str]) -> None:
    _refuse(throttle.check(counters))


def _failed(user: UserRow | None, identifier: str, counters, rules: AuthPolicy, ctx: ClientContext):
    """Count a failed sign-in step and refuse it. An unknown user costs what a known one does.

    The counters and the events commit together, in one transaction."""
    locked = throttle.record_failure(counters, rules)
    data = {"user_id": str(user.id) if user else None, "identifier": identifier[:254], "ip": ctx.ip}
    items = [("user.login_failed", data, "anonymous")]
    if user is not None and any(name.startswith("acct:") for name in locked):
        items.append(("user.locked", {"user_id": str(user.id)}, "system"))
    events.emit_many(items)
    db.session.commit()
    counting.lockout(locked)
    raise AuthenticationFailed(INVALID_CREDENTIALS, scheme="Bearer")


def _open_session(
    tenant: TenantAuth,
    user: UserRow,
    ctx: ClientContext,
    rules: AuthPolicy,
    via: str,
    amr: tuple[str, ...],
) -> LoginResult:
    """Start a session for a user who proved who they are; its token pair, signed after commit."""
    session, refresh = sessions.start_session(user, ctx, rules, via, amr)
    db.session.commit()
    access, ttl = tokens.issue_access_token(
        user=user, session_id=session.id, tenant_slug=tenant.slug, policy=rules, amr=amr
    )
    return LoginResult(user, access, refresh, ttl, session.id)


@counting.counted_sign_in("mfa", "wrong_code")
def complete_mfa(mfa_token: str, code: str, ctx: ClientContext) -> LoginResult:
    """Second step: a TOTP or recovery code for the user named by ``mfa_token``."""
    claims = tokens.verify_mfa_token(mfa_token)
    tenant = tenant_auth()
    if claims["tid"] != str(tenant.id):
        raise AuthenticationFailed("The MFA token belongs to another tenant.", scheme="Bearer")
    rules = tenant.policy
    user = read_user_row(claims["sub"])
    counters = throttle.subjects(user.email, user, ctx.ip)
    _refuse_if_locked(counters)
    if not user.is_active or not mfa.verify(user, code):
        _failed(user, user.email, counters, rules, ctx)
    device = claims.get("dev") or {}
    ctx = ClientContext(ctx.ip, ctx.user_agent, device.get("name"), device.get("id"))
    first = tuple(claims.get("amr") or PASSWORD_AMR)
    amr = tuple(dict.fromkeys((*first, *TOTP_AMR)))
    return _open_session(tenant, user, ctx, rules, claims.get("via") or "password", amr)


@counting.counted_refresh
def refresh(raw: str) -> LoginResult:
    """Rotate a refresh token; a spent token revokes its whole session."""
    tenant = tenant_auth()
    rotated = sessions.rotate(raw)
    user, session_id = rotated.user, rotated.session_id
    if not user.is_active:
        sessions.revoke(sessions.get_session(session_id), "user_disabled", tenant.policy, "system")
        db.session.commit()
        raise AuthenticationFailed("The account is disabled.", scheme="Bearer")
    db.session.commit()
    access, ttl = tokens.issue_access_token(
        user=user,
        session_id=session_id,
        tenant_slug=tenant.slug,
        policy=tenant.policy,
        organization=rotated.organization,
        amr=rotated.amr,
    )
    return LoginResult(user, access, rotated.refresh_token, ttl, session_id)


def logout(claims: tokens.AccessClaims) -> None:
    """End the token's session; its access tokens, this one too, die with it."""
    rules = tenant_auth().policy
    session = sessions.get_session(claims.sid)
    sessions.revoke(session, "logout", rules, actor=f"user:{claims.sub}")
    db.session.commit()


def verify_email(raw: str) -> User:
    token = onetime.consume(raw, onetime.VERIFY)
    user = get_user(token.user_id)
    if not user.is_verified:
        user.is_verified = True
        events.emit("user.verified", {"user_id": str(user.id)}, actor=f"user:{user.id}")
    db.session.commit()
    return user


def resend_verification(email: str) -> None:
    """Request a new verification link for ``email``; see :func:`request_password_reset`."""
    request_mail(notify.VERIFY, email_key(email))
    db.session.commit()


def request_password_reset(email: str) -> None:
    """Request a reset link for ``email``: one queued request, whatever the address.

    Whether the address has an account, and whether its hourly cap allows
    another mail, is decided when the worker composes the request
    (:mod:`authsvc.auth.notify`), so the answer and the work are the same.
    """
    request_mail(notify.RESET, email_key(email))
    db.session.commit()


def reset_password(raw: str, new_password: str) -> User:
    """Set a new password from a reset link; every session of the user ends."""
    rules = policy_for(current_tenant())
    token = onetime.consume(raw, onetime.RESET)
    user = get_user(token.user_id)
    set_password(user, new_password, field="new_password")
    onetime.void_all(user, onetime.RESET)
    sessions.revoke_all(user.id, "password_reset", rules, actor=f"user:{user.id}")
    events.emit("user.password_reset", {"user_id": str(user.id)}, actor=f"user:{user.id}")
    db.session.commit()
    return user


def reauthenticate(
    user: User,
    password: str | None = None,
    code: str | None = None,
    failure: str = "Give your current password or a valid code.",
) -> None:
    """Prove it is still the user before a sensitive change: the password, or a current
    TOTP or recovery code. Failures count towards the same lockout as sign-in failures."""
    rules = policy_for(current_tenant())
    counters = throttle.subjects(user.email, user, None)
    _refuse_if_locked(counters)
    by_code = bool(code) and mfa.verify(user, code)
    by_password = bool(password) and bool(user.password_hash)
    if not by_code and not (by_password and verify_password(user.password_hash, password)):
        throttle.record_failure(counters, rules)
        db.session.commit()
        raise AuthenticationFailed(failure, scheme="Bearer")


def change_password(user: User, current: str, new_password: str, keep_session) -> None:
    """Change a password knowing the current one; the user's other sessions end."""
    rules = policy_for(current_tenant())
    reauthenticate(user, password=current, failure="The current password is not correct.")
    set_password(user, new_password, field="new_password")
    sessions.revoke_all(user.id, "password_changed", rules, f"user:{user.id}", keep=keep_session)
    events.emit("user.password_changed", {"user_id": str(user.id)}, actor=f"user:{user.id}")
    db.session.commit()


def unlock(user: User, actor: str) -> None:
    """Admin action: clear the user's failed-login counters and lockout."""
    throttle.clear(throttle.subjects(user.email, user, None))
    events.emit("user.unlocked", {"user_id": str(user.id)}, actor=actor)
    db.session.commit()
