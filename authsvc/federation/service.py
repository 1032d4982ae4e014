"""Identity providers of a tenant: create, read, change, delete; shared by the API and pages.

Write functions stage their change and its audit row and commit; callers never
commit. Lookups run under the bound tenant, so another tenant's provider is
simply not found. The client secret is sealed at rest (:mod:`authsvc.secretbox`)
and never returned: only :func:`client_secret` opens it, for the token request.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from authsvc import secretbox
from authsvc.audit import service as audit
from authsvc.audit.changes import diff, snapshot
from authsvc.errors import NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.federation import github
from authsvc.federation.models import IdentityProvider
from authsvc.ids import parse_id

SECRET_PURPOSE = "federation.client-secret"  # noqa: S105 - a key label, not a secret
MICROSOFT_ISSUER = "https://login.microsoftonline.com/{directory}/v2.0"
GOOGLE_ISSUER = "https://accounts.google.com"
#: Entra ID directories that stand for many tenants: the issuer names the user's own.
MICROSOFT_MULTI_TENANT = ("common", "organizations", "consumers")
DEFAULT_SCOPES = ("openid", "email", "profile")
#: The provider fields an audit row shows before and after a change.
AUDITED_FIELDS = (
    "kind",
    "display_name",
    "icon_url",
    "issuer",
    "client_id",
    "scopes",
    "enabled",
    "link_by_email",
    "trust_upstream_mfa",
)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_issuer(url: str) -> str:
    """An https issuer URL (http only on loopback when ``FEDERATION_ALLOW_HTTP_LOOPBACK``)."""
    parts = urlsplit(url or "")
    host = parts.hostname or ""
    insecure_ok = current_app.config["FEDERATION_ALLOW_HTTP_LOOPBACK"] and _loopback(host)
    problem = None
    if parts.scheme != "https" and not (parts.scheme == "http" and insecure_ok):
        problem = "Use an https:// issuer URL."
    elif not host or parts.username or parts.password or parts.query or parts.fragment:
        problem = "Give the bare issuer URL: a host and path, no credentials, query or fragment."
    if problem:
        raise ValidationFailed("The issuer URL is not allowed.", errors={"issuer": [problem]})
    return url.rstrip("/")


def _issuer_for(kind: str, data: dict[str, Any]) -> str:
    """The issuer of a kind: given for ``oidc``, filled in by the presets; for ``github``
    the web host (``https://github.com``, or a GitHub Enterprise Server)."""
    if kind == "github":
        return check_issuer(data.get("issuer") or github.GITHUB_WEB)
    if kind == "google":
        return GOOGLE_ISSUER
    if kind == "microsoft":
        directory = (data.get("directory") or "").strip()
        valid = directory in MICROSOFT_MULTI_TENANT or _is_uuid(directory)
        if not valid:
            message = "Give the directory (tenant) id, or common, organizations or consumers."
            raise ValidationFailed(errors={"directory": [message]})
        return MICROSOFT_ISSUER.format(directory=directory)
    return check_issuer(data.get("issuer") or "")


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def check_scopes(kind: str, scopes: list[str] | None) -> list[str]:
    """The scopes to ask for: OpenID kinds need ``openid``; GitHub has no such scope."""
    if not scopes:
        return list(github.DEFAULT_SCOPES if kind == "github" else DEFAULT_SCOPES)
    openid_needed = kind != "github"
    if (openid_needed and "openid" not in scopes) or any(not s or " " in s for s in scopes):
        needed = ", including openid" if openid_needed else ""
        message = f"Give scope names without spaces{needed}."
        raise ValidationFailed(errors={"scopes": [message]})
    return list(dict.fromkeys(scopes))


#: The provider fields a change sets as given.
SETTABLE_FIELDS = (
    "display_name",
    "icon_url",
    "client_id",
    "enabled",
    "link_by_email",
    "trust_upstream_mfa",
)


def _audit(action: str, provider: IdentityProvider, actor: str | None, fields: dict) -> None:
    audit.stage(action, actor, ("identity_provider", provider.id), {"fields": fields})


def create_provider(data: dict[str, Any], actor: str | None = None) -> IdentityProvider:
    """Create a provider from a validated ``IdentityProviderCreate`` body."""
    kind = data["kind"]
    provider = IdentityProvider(
        kind=kind,
        display_name=data["display_name"],
        icon_url=data.get("icon_url"),
        issuer=_issuer_for(kind, data),
        client_id=data["client_id"],
        client_secret_sealed=_seal(data.get("client_secret")),
        scopes=check_scopes(kind, data.get("scopes")),
        enabled=data.get("enabled", True),
        link_by_email=data.get("link_by_email", False),
        trust_upstream_mfa=data.get("trust_upstream_mfa", False),
    )
    db.session.add(provider)
    db.session.flush()
    fields = diff({}, snapshot(provider, AUDITED_FIELDS))
    secret = {"client_secret": "created"} if provider.client_secret_sealed else {}
    _audit("identity_provider.created", provider, actor, {**fields, **secret})
    db.session.commit()
    return provider


def list_providers(enabled_only: bool = False) -> list[IdentityProvider]:
    """The tenant's providers in creation order (optionally only the enabled ones)."""
    statement = sa.select(IdentityProvider).order_by(IdentityProvider.id)
    if enabled_only:
        statement = statement.where(IdentityProvider.enabled.is_(True))
    return list(db.session.execute(statement).scalars())


def get_provider(provider_id: str | uuid.UUID) -> IdentityProvider:
    statement = sa.select(IdentityProvider).where(
        IdentityProvider.id == parse_id(provider_id, "identity provider")
    )
    provider = db.session.execute(statement).scalar_one_or_none()
    if provider is None:
        raise NotFound(f"No identity provider with id {provider_id}.")
    return provider


def update_provider(
    provider: IdentityProvider, data: dict[str, Any], actor: str | None = None
) -> IdentityProvider:
    """Apply a validated ``IdentityProviderUpdate`` body; the kind cannot change."""
    before = snapshot(provider, AUDITED_FIELDS)
    if "issuer" in data or "directory" in data:
        provider.issuer = _issuer_for(provider.kind, data)
    if "scopes" in data:
        provider.scopes = check_scopes(provider.kind, data["scopes"])
    for name in SETTABLE_FIELDS:
        if name in data:
            setattr(provider, name, data[name])
    fields = diff(before, snapshot(provider, AUDITED_FIELDS))
    if "client_secret" in data:
        provider.client_secret_sealed = _seal(data["client_secret"])
        fields["client_secret"] = "rotated"  # noqa: S105 - a marker, not the secret
    _audit("identity_provider.updated", provider, actor, fields)
    db.session.commit()
    return provider


def delete_provider(provider: IdentityProvider, actor: str | None = None) -> None:
    """Delete a provider and its users' links to it (the users stay)."""
    fields = diff(snapshot(provider, AUDITED_FIELDS), {})
    _audit("identity_provider.deleted", provider, actor, fields)
    db.session.delete(provider)
    db.session.commit()


def _seal(secret: str | None) -> str | None:
    return secretbox.encrypt(secret.encode(), SECRET_PURPOSE) if secret else None


def client_secret(provider: IdentityProvider) -> str | None:
    """The provider's client secret in the clear, for the token request only."""
    if provider.client_secret_sealed is None:
        return None
    return secretbox.decrypt(provider.client_secret_sealed, SECRET_PURPOSE).decode()
