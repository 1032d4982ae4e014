"""Which user a provider's ID token names: found by link, linked by email, or created.

A user is found by its ``(provider, subject)`` link. Otherwise an existing
account with the same email is linked only when the provider asserts the
email verified and the provider's ``link_by_email`` policy allows it;
otherwise a new user is created. The link and its ``identity.linked`` event
are staged in the sign-in's transaction; the caller commits. Every sign-in
fills the user's empty profile fields (name, picture, locale) from the claims.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from authsvc import events
from authsvc.auth.models import MfaFactor
from authsvc.errors import BadRequest, Conflict, NotFound
from authsvc.extensions import db
from authsvc.federation.models import IdentityProvider, UserIdentity
from authsvc.users.models import User
from authsvc.users.schemas import LOCALE_PATTERN
from authsvc.users.service import find_user_by_login, get_user, stage_new_user, user_payload

#: A federated sign-in that cannot go on; its detail is said to the user as is.
FederationRefused = BadRequest
#: Profile fields and the standard claims that fill them.
PROFILE_CLAIMS = {"display_name": "name", "avatar_url": "picture", "locale": "locale"}
#: Each field's length limit and shape (the API's own rules for them).
PROFILE_RULES = {
    "display_name": (200, None),
    "avatar_url": (2048, re.compile(r"https?://\S+")),
    "locale": (35, re.compile(LOCALE_PATTERN.strip("^$"))),
}
#: RFC 8176 ``amr`` values by which a provider says it checked more than a password.
#: Compared exactly: a look-alike (``"MFA"``, ``"mfa "``) is not one of them.
MFA_METHODS = ("mfa", "mca", "otp", "hwk", "sc", "sms", "tel")
FEDERATED = "fed"


def _verified(claims: dict[str, Any]) -> bool:
    # Some providers send the boolean as a string.
    return claims.get("email_verified") in (True, "true")


def identity_payload(identity: UserIdentity) -> dict[str, Any]:
    return {
        "id": str(identity.id),
        "provider_id": str(identity.provider_id),
        "subject": identity.subject,
        "email": identity.email,
    }


def resolve_user(provider: IdentityProvider, claims: dict[str, Any]) -> User:
    """The user the verified ID token ``claims`` name; staged, not committed."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise FederationRefused("The provider did not say who you are.")
    identity = db.session.execute(
        sa.select(UserIdentity).where(
            UserIdentity.provider_id == provider.id, UserIdentity.subject == subject
        )
    ).scalar_one_or_none()
    user = get_user(identity.user_id) if identity else _link_or_create(provider, claims, subject)
    if not user.is_active:
        raise FederationRefused("This account is disabled.")
    fill_profile(user, claims)
    return user


def profile_claims(claims: dict[str, Any]) -> dict[str, str]:
    """The profile fields the claims can fill: ``name``, ``picture`` (http(s) only) and
    ``locale`` (a BCP 47 tag), each only when it fits the field as the API would take it;
    anything else (a ``javascript:`` picture, an oversized name) is left out, not cut."""
    found = {}
    for field, claim in PROFILE_CLAIMS.items():
        value = claims.get(claim)
        if not isinstance(value, str):
            continue
        value = value.strip()
        limit, shape = PROFILE_RULES[field]
        if value and len(value) <= limit and (shape is None or shape.fullmatch(value)):
            found[field] = value
    return found


def fill_profile(user: User, claims: dict[str, Any]) -> None:
    """Fill the user's empty profile fields from the claims; a value the user (or an
    admin) set is never replaced. Staged with its ``user.updated`` event."""
    filled = {
        field: value
        for field, value in profile_claims(claims).items()
        if getattr(user, field) is None
    }
    if not filled:
        return
    for field, value in filled.items():
        setattr(user, field, value)
    db.session.flush()
    changed = sorted(filled)
    events.emit("user.updated", {"user": user_payload(user), "changed": changed}, actor="self")


def _link_or_create(provider: IdentityProvider, claims: dict[str, Any], subject: str) -> User:
    email = (claims.get("email") or "").strip()
    if not email:
        raise FederationRefused(
            f"{provider.display_name} did not share your email address, which is needed "
            "to sign you in. Allow sharing it and try again."
        )
    existing = find_user_by_login(email)
    if existing is not None and not (provider.link_by_email and _verified(claims)):
        raise FederationRefused(
            "An account with this email address already exists. Sign in with your "
            "password, then link this provider from your account."
        )
    user = existing or stage_new_user(
        {"email": email, "is_verified": _verified(claims), **profile_claims(claims)},
        actor="self",
        via=provider.kind,
        provider_id=str(provider.id),
    )
    identity = UserIdentity(provider_id=provider.id, user_id=user.id, subject=subject, email=email)
    db.session.add(identity)
    db.session.flush()
    data = {"user_id": str(user.id), "identity": identity_payload(identity), "via": provider.kind}
    events.emit("identity.linked", data, actor="self")
    return user


def sign_in_amr(provider: IdentityProvider, claims: dict[str, Any]) -> tuple[str, ...]:
    """How the user signed in, for the tokens: ``fed``, plus, when the provider is
    trusted for MFA and its ``amr`` shows it, those methods and ``mfa`` (which then
    stands in for authsvc's own TOTP step)."""
    upstream = claims.get("amr")
    if not provider.trust_upstream_mfa or not isinstance(upstream, list):
        return (FEDERATED,)
    methods = [value for value in MFA_METHODS if value in upstream]
    if not methods:
        return (FEDERATED,)
    return tuple(dict.fromkeys((FEDERATED, *methods, "mfa")))


def needs_totp(user: User, amr: tuple[str, ...] | list[str]) -> bool:
    """Whether the user's own TOTP step still applies after a federated first factor."""
    return "mfa" not in amr and has_mfa(user)


def has_mfa(user: User) -> bool:
    """Whether a confirmed TOTP factor guards the account (it applies after any sign-in)."""
    statement = sa.select(
        sa.exists().where(MfaFactor.user_id == user.id, MfaFactor.confirmed_at.is_not(None))
    )
    return bool(db.session.execute(statement).scalar())


def list_identities(user_id) -> list[UserIdentity]:
    """The user's provider links, oldest first."""
    statement = (
        sa.select(UserIdentity).where(UserIdentity.user_id == user_id).order_by(UserIdentity.id)
    )
    return list(db.session.execute(statement).scalars())


def unlink_identity(user_id, identity_id: str, actor: str | None = None) -> None:
    """Remove one of the user's links; refused when it is their last way to sign in.

    ``actor`` defaults to the user themself (an admin's unlink names the admin)."""
    links = list_identities(user_id)
    identity = next((link for link in links if str(link.id) == identity_id), None)
    if identity is None:
        raise NotFound(f"No identity with id {identity_id}.")
    if len(links) == 1 and get_user(user_id).password_hash is None:
        raise Conflict("This is your only way to sign in; set a password or link another first.")
    data = {"user_id": str(user_id), "identity": identity_payload(identity)}
    db.session.delete(identity)
    events.emit("identity.unlinked", data, actor=actor or f"user:{user_id}")
    db.session.commit()
