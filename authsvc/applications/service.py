"""Applications of a tenant: register, read, change, delete; shared by the API and the panel.

Write functions stage their change and its event and commit; callers never
commit. A confidential application's client secret is 256 random bits, shown
once by :func:`create_application` (and :func:`rotate_secret`); only its
SHA-256 is stored and compared in constant time (:func:`secret_matches`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from typing import Any

import sqlalchemy as sa

from authsvc import events
from authsvc.applications.models import (
    CLIENT_TYPES,
    GRANT_TYPES,
    PUBLIC,
    SCOPES,
    Application,
)
from authsvc.errors import NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.sessions.models import Session
from authsvc.tenants.urls import UrlRefused, https_required, parse_redirect_url

SECRET_PREFIX = "cs_"  # noqa: S105 - a prefix that makes leaked secrets greppable
#: Bounds of the per-application token lifetimes, in seconds.
ACCESS_TTL_RANGE = (60, 24 * 3600)
REFRESH_TTL_RANGE = (300, 365 * 24 * 3600)
EDITABLE = (
    "name",
    "redirect_uris",
    "post_logout_redirect_uris",
    "grant_types",
    "scopes",
    "first_party",
    "access_token_ttl_seconds",
    "refresh_token_ttl_seconds",
)


def hash_secret(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def secret_matches(application: Application, raw: str | None) -> bool:
    """Whether ``raw`` is the application's client secret (constant time)."""
    if not raw or application.client_secret_hash is None:
        return False
    return hmac.compare_digest(application.client_secret_hash, hash_secret(raw))


def _uris(name: str, values: list[str]) -> list[str]:
    """Exact absolute http(s) URIs without fragments or wildcards (https in production,
    except on loopback)."""
    problems = []
    for value in values:
        try:
            if "*" in value:
                raise UrlRefused(f"{value!r}: wildcards are not allowed; list each URI.")
            parse_redirect_url(value, https_only=https_required())
        except UrlRefused as refused:
            problems.append(str(refused))
    if problems:
        raise ValidationFailed(errors={name: problems})
    return list(dict.fromkeys(values))


def _choices(name: str, values: list[str], allowed: tuple[str, ...]) -> list[str]:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationFailed(errors={name: [f"Unknown value: {value}." for value in unknown]})
    return [value for value in allowed if value in values]


def _ttl(name: str, value: int | None, bounds: tuple[int, int]) -> int | None:
    if value is not None and not bounds[0] <= value <= bounds[1]:
        message = f"Give a number of seconds from {bounds[0]} to {bounds[1]}, or null."
        raise ValidationFailed(errors={name: [message]})
    return value


def _check(application: Application) -> None:
    """Rules across fields, checked after every change."""
    grants = set(application.grant_types)
    if application.client_type == PUBLIC and "client_credentials" in grants:
        message = "A public client has no secret, so it cannot use client_credentials."
        raise ValidationFailed(errors={"grant_types": [message]})
    if "authorization_code" in grants and not application.redirect_uris:
        message = "The authorization_code grant needs at least one redirect URI."
        raise ValidationFailed(errors={"redirect_uris": [message]})
    if not grants:
        raise ValidationFailed(errors={"grant_types": ["Give at least one grant type."]})


def _apply(application: Application, data: dict[str, Any]) -> None:
    checks = {
        "redirect_uris": lambda v: _uris("redirect_uris", v),
        "post_logout_redirect_uris": lambda v: _uris("post_logout_redirect_uris", v),
        "grant_types": lambda v: _choices("grant_types", v, GRANT_TYPES),
        "scopes": lambda v: _choices("scopes", v, SCOPES),
        "access_token_ttl_seconds": lambda v: _ttl("access_token_ttl_seconds", v, ACCESS_TTL_RANGE),
        "refresh_token_ttl_seconds": lambda v: _ttl(
            "refresh_token_ttl_seconds", v, REFRESH_TTL_RANGE
        ),
    }
    for name in EDITABLE:
        if name in data:
            value = data[name]
            setattr(application, name, checks[name](value) if name in checks else value)
    _check(application)


def payload(application: Application) -> dict[str, Any]:
    """The application as events show it (never its secret)."""
    return {
        "application": {
            "id": str(application.id),
            "name": application.name,
            "client_id": application.client_id,
            "client_type": application.client_type,
            "redirect_uris": list(application.redirect_uris),
            "grant_types": list(application.grant_types),
            "scopes": list(application.scopes),
            "first_party": application.first_party,
        }
    }


def create_application(
    data: dict[str, Any], actor: str | None = None
) -> tuple[Application, str | None]:
    """Register an application; returns it and its client secret (None for a public one)."""
    client_type = data.get("client_type", "confidential")
    if client_type not in CLIENT_TYPES:
        raise ValidationFailed(errors={"client_type": ["Use confidential or public."]})
    raw = None if client_type == PUBLIC else SECRET_PREFIX + secrets.token_urlsafe(32)
    application = Application(
        id=uuid.uuid4(),
        client_id=secrets.token_hex(16),
        client_type=client_type,
        client_secret_hash=hash_secret(raw) if raw else None,
        redirect_uris=[],
        post_logout_redirect_uris=[],
        grant_types=["authorization_code"],
        scopes=["openid", "profile", "email"],
        first_party=False,
    )
    _apply(application, data)
    db.session.add(application)
    events.emit("application.created", payload(application), actor=actor)
    db.session.commit()
    return application, raw


def stage_imported(row: dict[str, Any], actor: str | None = None) -> Application:
    """An application moved from another instance: its id, client id and secret hash are
    kept (so the app's configuration keeps working), every other field checked as usual."""
    client_type = row.get("client_type")
    secret_hash = row.get("client_secret_hash")
    client_id = str(row.get("client_id") or "")
    errors = {}
    if client_type not in CLIENT_TYPES:
        errors["client_type"] = ["Use confidential or public."]
    if not re.fullmatch(r"[A-Za-z0-9._~-]{1,64}", client_id):
        errors["client_id"] = ["Use 1-64 letters, digits, '.', '_', '~' or '-'."]
    if (client_type == PUBLIC) != (secret_hash is None) or (
        secret_hash is not None and not re.fullmatch(r"[0-9a-f]{64}", str(secret_hash))
    ):
        errors["client_secret_hash"] = ["A confidential client needs its SHA-256 secret hash."]
    if errors:
        raise ValidationFailed(f"Application {row.get('name')!r} is not valid.", errors=errors)
    application = Application(
        id=parse_id(str(row.get("id") or ""), "application"),
        client_id=client_id,
        client_type=client_type,
        client_secret_hash=secret_hash,
        redirect_uris=[],
        post_logout_redirect_uris=[],
        grant_types=["authorization_code"],
        scopes=["openid", "profile", "email"],
        first_party=False,
    )
    _apply(application, {name: row[name] for name in EDITABLE if name in row})
    db.session.add(application)
    events.emit("application.created", payload(application), actor=actor)
    return application


def list_applications() -> list[Application]:
    return list(db.session.execute(sa.select(Application).order_by(Application.id)).scalars())


def get_application(application_id: str | uuid.UUID) -> Application:
    statement = sa.select(Application).where(
        Application.id == parse_id(application_id, "application")
    )
    application = db.session.execute(statement).scalar_one_or_none()
    if application is None:
        raise NotFound(f"No application with id {application_id}.")
    return application


def by_client_id(client_id: str | None) -> Application | None:
    """The bound tenant's application with this client id (another tenant's is not found)."""
    if not client_id or len(client_id) > 64:
        return None
    statement = sa.select(Application).where(Application.client_id == client_id)
    return db.session.execute(statement).scalar_one_or_none()


def update_application(
    application: Application, data: dict[str, Any], actor: str | None = None
) -> Application:
    _apply(application, data)
    events.emit("application.updated", payload(application), actor=actor)
    db.session.commit()
    return application


def rotate_secret(application: Application, actor: str | None = None) -> str:
    """A new client secret for a confidential application (the old one stops working)."""
    if application.client_type == PUBLIC:
        raise ValidationFailed(errors={"client_type": ["A public client has no secret."]})
    raw = SECRET_PREFIX + secrets.token_urlsafe(32)
    application.client_secret_hash = hash_secret(raw)
    events.emit("application.updated", {**payload(application), "secret": "rotated"}, actor)
    db.session.commit()
    return raw


def delete_application(application: Application, actor: str | None = None) -> None:
    """Delete an application; its sessions end first, so its access tokens stop working."""
    from authsvc.auth.tenant_policy import tenant_auth
    from authsvc.sessions import service as sessions

    policy = tenant_auth().policy
    active = db.session.execute(
        sa.select(Session).where(
            Session.application_id == application.id, Session.revoked_at.is_(None)
        )
    ).scalars()
    for session in list(active):
        sessions.revoke(session, "application_deleted", policy, actor=actor)
    events.emit("application.deleted", payload(application), actor=actor)
    db.session.delete(application)
    db.session.commit()
