"""User operations shared by the API, the admin panel and the CLI.

Each write function stages its change and its event in one transaction and
commits; callers never commit. Lookups run under the tenant bound by
:mod:`authsvc.tenancy`, so another tenant's user is simply not found.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from authsvc import events
from authsvc.auth import password_policy
from authsvc.auth.tenant_policy import AuthPolicy, policy_for
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.passwords import hash_password
from authsvc.tenancy import current_tenant_id
from authsvc.tenants.models import Tenant
from authsvc.users import gdpr
from authsvc.users.emails import clean_email, email_key, login_key
from authsvc.users.models import Role, User, UserRole
from authsvc.users.reads import read_user_row

SIMPLE_FIELDS = (
    "display_name",
    "avatar_url",
    "locale",
    "is_verified",
    "is_active",
    "external_user_id",
)
#: What end users change on their own profile (besides preferences).
PROFILE_FIELDS = ("display_name", "avatar_url", "locale")


def user_payload(user: User) -> dict[str, Any]:
    """The user exactly as the API shows it, read back as its one read-model row
    (:class:`~authsvc.users.reads.UserRow`; pending changes are flushed first)."""
    return read_user_row(user.id).payload()


def get_user(user_id: str | uuid.UUID) -> User:
    # One query: the user with its roles joined in, rather than a second round trip.
    statement = (
        sa.select(User)
        .where(User.id == parse_id(user_id, "user"))
        .options(joinedload(User.role_links).joinedload(UserRole.role))
    )
    user = db.session.execute(statement).unique().scalar_one_or_none()
    if user is None:
        raise NotFound(f"No user with id {user_id}.")
    return user


def find_user_by_login(identifier: str) -> User | None:
    """The user whose email or username is ``identifier`` (see :func:`emails.login_key`)."""
    key = login_key(identifier)
    column = User.email_normalized if "@" in key else User.username_normalized
    return db.session.execute(sa.select(User).where(column == key)).scalar_one_or_none()


def find_user_by_email(address: str) -> User | None:
    """The user whose normalised email is ``address``'s (ValidationFailed if not an address)."""
    statement = sa.select(User).where(User.email_normalized == email_key(address))
    return db.session.execute(statement).scalar_one_or_none()


def password_rules() -> AuthPolicy:
    """The bound tenant's policy (the platform defaults when no tenant row is found)."""
    tenant = db.session.get(Tenant, current_tenant_id())
    return policy_for(tenant) if tenant is not None else AuthPolicy()


def check_password(password: str, *, email: str, username: str | None, field="password") -> None:
    """The tenant's password policy: the one check on every path that sets a password.

    Raises ValidationFailed naming ``field`` (``password`` or ``new_password``).
    """
    context = (email, username or "")
    password_policy.check(password, password_rules(), field=field, context=context)


def set_password(user: User, password: str, field: str = "password") -> None:
    """Check ``password`` against the policy and store its hash (the caller commits)."""
    check_password(password, email=user.email, username=user.username, field=field)
    user.password_hash = hash_password(password)


def create_user(data: dict[str, Any], actor: str | None = None) -> User:
    """Create a user; ``data`` is a validated ``UserCreate`` body."""
    try:
        user = stage_new_user(data, actor)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("The change conflicts with existing data.") from exc
    return user


def stage_new_user(
    data: dict[str, Any],
    actor: str | None = None,
    via: str = "admin",
    provider_id: str | None = None,
) -> User:
    """Add a user and its ``user.created`` event to the session without committing.

    ``via`` says in the event how the account came to be: ``admin`` (the API or
    the panel), ``import``, ``password`` (self sign-up), or a provider kind
    (``github``, ...) with the provider's ``provider_id``.

    ``data`` may carry ``password`` (checked against the tenant's policy, then
    hashed) or an already-hashed ``password_hash`` (imports: no plaintext to check),
    and ``id`` when a tenant moved from another instance keeps its users' ids.
    """
    if data.get("password"):
        check_password(data["password"], email=data["email"], username=data.get("username"))
    user = User(email="", email_normalized="")
    if data.get("id"):
        user.id = parse_id(data["id"], "user")
    _apply_identity(user, data)
    if data.get("password"):
        user.password_hash = hash_password(data["password"])
    elif data.get("password_hash"):
        user.password_hash = data["password_hash"]
    for name in SIMPLE_FIELDS:
        if name in data:
            setattr(user, name, data[name])
    user.user_metadata = data.get("metadata") or {}
    db.session.add(user)
    _set_roles(user, data.get("roles", ["member"]))
    db.session.flush()
    payload = {"user": user_payload(user), "via": via}
    if provider_id is not None:
        payload["provider_id"] = provider_id
    events.emit("user.created", payload, actor=actor)
    return user


def update_user(user: User, data: dict[str, Any], actor: str | None = None) -> User:
    """Apply a validated ``UserUpdate`` body."""
    _apply_identity(user, data)
    for name in SIMPLE_FIELDS:
        if name in data:
            setattr(user, name, data[name])
    if "metadata" in data:
        user.user_metadata = data["metadata"]
    if "roles" in data:
        _set_roles(user, data["roles"])
    return _commit(user, "user.updated", actor, changed=sorted(data))


def update_profile(user: User, data: dict[str, Any], actor: str | None = None) -> User:
    """The end user's own changes: display name, avatar, locale, preferences by category."""
    for name in PROFILE_FIELDS:
        if name in data:
            setattr(user, name, data[name])
    if "preferences" in data:
        bad = [k for k, v in data["preferences"].items() if not isinstance(v, dict)]
        if bad:
            raise ValidationFailed(errors={f"preferences.{k}": ["Must be an object."] for k in bad})
        user.preferences = {**(user.preferences or {}), **data["preferences"]}
    return _commit(user, "user.updated", actor, changed=sorted(data))


def delete_user(user: User, actor: str | None = None) -> None:
    payload = user_payload(user)
    db.session.delete(user)
    events.emit("user.deleted", {"user": payload}, actor=actor)
    db.session.commit()


def erase_user(user: User, actor: str | None = None) -> None:
    """Delete a user and every personal value held about them, in one transaction.

    Each domain's section (see :mod:`authsvc.users.gdpr`) deletes its rows or
    pseudonymises the ones kept for their retention (audit); ``user.deleted``
    then says ``erased: true`` and carries only the id, so receivers can erase
    their copies."""
    user_id = str(user.id)
    gdpr.erase_sections(user)
    db.session.delete(user)
    events.emit("user.deleted", {"user": {"id": user_id}, "erased": True}, actor=actor)
    db.session.commit()


def _apply_identity(user: User, data: dict[str, Any]) -> None:
    """Set email/username, refusing values another user of the tenant has.

    Checks come before any assignment, so a refused change leaves the user as it was.
    """
    errors: dict[str, list[str]] = {}
    email, key = (None, None)
    if "email" in data:
        email, key = clean_email(data["email"], current_key=user.email_normalized)
    username = data.get("username")
    if key is not None and key != user.email_normalized and find_user_by_email(key):
        errors["email"] = ["Another user has this email."]
    if username and username.lower() != user.username_normalized and find_user_by_login(username):
        errors["username"] = ["Another user has this username."]
    if errors:
        raise Conflict("A user with this email or username already exists.", errors=errors)
    if email is not None:
        user.email, user.email_normalized = email, key
    if "username" in data:
        user.username = username
        user.username_normalized = username.lower() if username else None


def _set_roles(user: User, names: list[str]) -> None:
    wanted = sorted(set(names))
    roles = db.session.execute(sa.select(Role).where(Role.name.in_(wanted))).scalars().all()
    unknown = sorted(set(wanted) - {role.name for role in roles})
    if unknown:
        raise ValidationFailed(errors={"roles": [f"Unknown role: {name}." for name in unknown]})
    user.role_links = [UserRole(role_id=role.id, role=role) for role in roles]


def _commit(user: User, event_type: str, actor: str | None, **extra: Any) -> User:
    try:
        db.session.flush()
        events.emit(event_type, {"user": user_payload(user), **extra}, actor=actor)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("The change conflicts with existing data.") from exc
    return user
