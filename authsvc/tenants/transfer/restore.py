"""Reading a tenant's export document back: one transaction, every value checked.

An export file is input like any other: each part goes through its domain's
own checks (slug, settings, roles, the user importer's row rules and hash
costs, issuer URLs, webhook targets), and any refusal rolls the whole import
back. Ids of users and identity providers are kept, so references held by the
tenant's apps and the providers' registered callback URLs stay valid.
Webhooks arrive paused: the import emits a ``user.created`` per user, which
their receivers should not get for a move; resume them once checked.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from jsonschema import Draft4Validator
from sqlalchemy.exc import IntegrityError

from authsvc import secretbox
from authsvc.audit import service as audit
from authsvc.auth.mfa import SECRET_PURPOSE as TOTP_PURPOSE
from authsvc.auth.models import MfaFactor
from authsvc.db import utcnow
from authsvc.errors import Conflict, ValidationFailed
from authsvc.extensions import db
from authsvc.federation.models import KINDS, IdentityProvider, UserIdentity
from authsvc.federation.service import SECRET_PURPOSE as CLIENT_SECRET_PURPOSE
from authsvc.federation.service import check_issuer, check_scopes
from authsvc.ids import parse_id
from authsvc.tenancy import tenant_context
from authsvc.tenants.models import Tenant
from authsvc.tenants.service import stage_tenant
from authsvc.tenants.transfer import FORMAT, directory
from authsvc.tenants.transfer.sealing import TransferKey
from authsvc.themes.assets import AssetRefused, check_upload, sniff
from authsvc.themes.models import ASSET_KINDS, Theme, ThemeAsset
from authsvc.themes.service import check_theme
from authsvc.users.importer import row_errors
from authsvc.users.models import Role
from authsvc.users.roles import check_role
from authsvc.users.service import stage_new_user
from authsvc.webhooks import signing
from authsvc.webhooks.models import WebhookEndpoint
from authsvc.webhooks.service import check_event_types, check_url

ACTOR = "cli"
_OBJECTS = {"type": "array", "items": {"type": "object"}}
DOCUMENT = Draft4Validator(
    {
        "type": "object",
        "required": ["format", "tenant", "roles", "users", "identity_providers", "webhooks"],
        "properties": {
            "format": {"enum": [FORMAT]},
            "secrets": {"type": ["object", "null"]},
            "tenant": {
                "type": "object",
                "required": ["slug", "name"],
                "properties": {"settings": {"type": "object"}},
            },
            "theme": {"type": ["object", "null"]},
            "roles": _OBJECTS,
            "users": _OBJECTS,
            "identity_providers": _OBJECTS,
            "identities": _OBJECTS,
            "webhooks": _OBJECTS,
            "permissions": _OBJECTS,
            "organizations": _OBJECTS,
            "applications": _OBJECTS,
        },
    }
)
#: The user importer's row fields; the rest of an exported user is checked here.
IMPORTER_FIELDS = (
    "email",
    "username",
    "password_hash",
    "display_name",
    "avatar_url",
    "external_user_id",
    "is_verified",
    "is_active",
    "metadata",
    "roles",
)


def check_document(document: Any) -> None:
    errors: dict[str, list[str]] = {}
    for error in DOCUMENT.iter_errors(document):
        field = ".".join(str(p) for p in error.absolute_path) or "document"
        errors.setdefault(field, []).append(error.message)
    if errors:
        raise ValidationFailed("This is not an authsvc tenant export.", errors=errors)


def _roles(rows: list[dict]) -> None:
    existing = {role.name: role for role in db.session.execute(sa.select(Role)).scalars()}
    for row in rows:
        role = existing.get(str(row.get("name", "")).strip().lower())
        values = check_role(row, role)
        if role is None:
            db.session.add(Role(**values))
        else:
            role.description, role.permissions = values["description"], values["permissions"]
    db.session.flush()


def _theme(data: dict | None) -> None:
    if not data:
        return
    assets = data.get("assets") or []
    db.session.add(
        Theme(version=1, **check_theme({k: v for k, v in data.items() if k != "assets"}))
    )
    for asset in assets:
        if asset.get("kind") not in ASSET_KINDS:
            raise ValidationFailed(errors={"theme.assets.kind": [f"Use one of {ASSET_KINDS}."]})
        try:
            raw = base64.b64decode(str(asset.get("data", "")), validate=True)
            content_type, stored = check_upload(f"asset.{sniff(raw)}", raw, 1024 * 1024)
        except (AssetRefused, binascii.Error) as exc:
            raise ValidationFailed(errors={"theme.assets": [str(exc)]}) from exc
        db.session.add(ThemeAsset(kind=asset.get("kind"), content_type=content_type, data=stored))


def _totp(user_id, data: dict, key: TransferKey | None) -> None:
    if key is None:
        raise ValidationFailed(errors={"secrets_key": ["Users with TOTP need the export's key."]})
    seed = key.unseal(str(data.get("secret", "")), "totp")
    hashes = data.get("recovery_code_hashes") or []
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise ValidationFailed(errors={"totp.recovery_code_hashes": ["Give a list of hashes."]})
    factor = MfaFactor(
        user_id=user_id,
        secret_encrypted=secretbox.encrypt(seed.encode(), TOTP_PURPOSE),
        confirmed_at=utcnow(),
        recovery_code_hashes=hashes,
    )
    db.session.add(factor)


def _user(index: int, row: dict, key: TransferKey | None) -> None:
    fields = {name: row[name] for name in IMPORTER_FIELDS if row.get(name) is not None}
    errors = row_errors(fields)
    preferences = row.get("preferences") or {}
    if not isinstance(preferences, dict) or not all(
        isinstance(v, dict) for v in preferences.values()
    ):
        errors["preferences"] = ["Give an object of objects."]
    if errors:
        raise ValidationFailed(f"User {index} is not valid.", errors=errors)
    user = stage_new_user({**fields, "id": row.get("id")}, actor=ACTOR)
    user.preferences = preferences
    if row.get("totp"):
        _totp(user.id, row["totp"], key)


def _unsealed(key: TransferKey | None, sealed: Any, field: str) -> str | None:
    return key.unseal(str(sealed), field) if key is not None and sealed else None


def _providers(rows: list[dict], key: TransferKey | None) -> None:
    for row in rows:
        if row.get("kind") not in KINDS:
            raise ValidationFailed(errors={"identity_providers.kind": [f"Use one of {KINDS}."]})
        secret = _unsealed(key, row.get("client_secret"), "client_secret")
        provider = IdentityProvider(
            id=parse_id(row.get("id", ""), "identity provider"),
            kind=row["kind"],
            display_name=str(row.get("display_name") or row["kind"])[:100],
            icon_url=row.get("icon_url"),
            issuer=check_issuer(str(row.get("issuer") or "")),
            client_id=str(row.get("client_id") or "")[:255],
            client_secret_sealed=secretbox.encrypt(secret.encode(), CLIENT_SECRET_PURPOSE)
            if secret
            else None,
            scopes=check_scopes(row["kind"], list(row.get("scopes") or []) or None),
            # Without its secret a provider cannot sign anyone in: off until one is set.
            enabled=bool(row.get("enabled")) and (secret is not None or key is not None),
            link_by_email=bool(row.get("link_by_email")),
        )
        db.session.add(provider)
    db.session.flush()


def _identities(rows: list[dict]) -> None:
    for row in rows:
        db.session.add(
            UserIdentity(
                provider_id=parse_id(row.get("provider_id", ""), "identity provider"),
                user_id=parse_id(row.get("user_id", ""), "user"),
                subject=str(row.get("subject", ""))[:255],
                email=row.get("email"),
            )
        )


def _webhooks(rows: list[dict], key: TransferKey | None, app_secret: str) -> None:
    for row in rows:
        secret = _unsealed(key, row.get("secret"), "webhook_secret") or signing.generate_secret()
        endpoint = WebhookEndpoint(
            url=check_url(str(row.get("url", ""))),
            description=str(row.get("description") or "")[:500],
            event_types=check_event_types(list(row.get("event_types") or ["*"])),
            is_active=False,
            disabled_reason="imported",
            secret_sealed=signing.seal(secret, app_secret),
        )
        db.session.add(endpoint)


def import_tenant(
    document: Any,
    passphrase: str | None,
    slug: str | None,
    app_secret: str,
    progress: Callable[[int], None],
) -> Tenant:
    """Create the tenant the document describes (as ``slug`` if given), all or nothing."""
    check_document(document)
    key = TransferKey.for_document(passphrase, document.get("secrets")) if passphrase else None
    source = document["tenant"]
    try:
        tenant = stage_tenant(slug or source["slug"], source["name"], [], source.get("settings"))
        with tenant_context(tenant.id):
            directory.restore_permissions(document.get("permissions") or [], ACTOR)
            _roles(document["roles"])
            _theme(document.get("theme"))
            for index, row in enumerate(document["users"]):
                _user(index, row, key)
                progress(1)
            _providers(document["identity_providers"], key)
            _identities(document.get("identities") or [])
            _webhooks(document["webhooks"], key, app_secret)
            directory.restore_organizations(document.get("organizations") or [], ACTOR)
            directory.restore_applications(document.get("applications") or [], ACTOR)
            counts = {"users": len(document["users"]), "webhooks": len(document["webhooks"])}
            audit.stage("tenant.imported", ACTOR, ("tenant", tenant.id), counts)
            db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("The export conflicts with data already here (a slug or an id).") from exc
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return tenant
