"""Writing a tenant's export document, a part at a time (users in batches).

Every read runs under ``tenant_context`` of the exported tenant, so the ORM's
tenant scoping (and PostgreSQL's row-level security) limits it to that tenant.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import sqlalchemy as sa

from authsvc import secretbox
from authsvc.auth.mfa import SECRET_PURPOSE as TOTP_PURPOSE
from authsvc.auth.models import MfaFactor
from authsvc.extensions import db
from authsvc.federation.models import IdentityProvider, UserIdentity
from authsvc.federation.service import SECRET_PURPOSE as CLIENT_SECRET_PURPOSE
from authsvc.tenancy import tenant_context
from authsvc.tenants.models import Tenant
from authsvc.tenants.transfer import FORMAT, directory
from authsvc.tenants.transfer.sealing import TransferKey
from authsvc.themes.models import COLOR_FIELDS, Theme, ThemeAsset
from authsvc.users.models import Role, User
from authsvc.webhooks import signing
from authsvc.webhooks.models import WebhookEndpoint

USER_BATCH = 500
USER_FIELDS = (
    "email",
    "username",
    "password_hash",
    "display_name",
    "avatar_url",
    "is_verified",
    "is_active",
    "external_user_id",
    "preferences",
)


def _theme() -> dict[str, Any] | None:
    theme = db.session.execute(sa.select(Theme)).scalar_one_or_none()
    if theme is None:
        return None
    fields = (*COLOR_FIELDS, "font_stack", "custom_css")
    assets = db.session.execute(sa.select(ThemeAsset)).scalars()
    return {
        **{name: getattr(theme, name) for name in fields},
        "assets": [
            {
                "kind": a.kind,
                "content_type": a.content_type,
                "data": base64.b64encode(a.data).decode(),
            }
            for a in assets
        ],
    }


def _roles() -> list[dict[str, Any]]:
    roles = db.session.execute(sa.select(Role).order_by(Role.name)).scalars()
    return [
        {"name": r.name, "description": r.description, "permissions": r.permissions} for r in roles
    ]


def _factors(key: TransferKey | None) -> dict[Any, dict[str, Any]]:
    """Confirmed TOTP factors by user id, their seed sealed under the transfer key."""
    factors = db.session.execute(sa.select(MfaFactor).where(MfaFactor.confirmed_at.is_not(None)))
    found = {}
    for factor in factors.scalars():
        if key is None:
            raise MissingKey("users with TOTP")
        seed = secretbox.decrypt(factor.secret_encrypted, TOTP_PURPOSE).decode()
        found[factor.user_id] = {
            "secret": key.seal(seed, "totp"),
            "recovery_code_hashes": factor.recovery_code_hashes,
            "last_used_step": factor.last_used_step,
        }
    return found


class MissingKey(Exception):
    """The tenant has secrets that cannot be left out, and no transfer key was given."""


def _users(key: TransferKey | None) -> Iterator[dict[str, Any]]:
    factors = _factors(key)
    statement = sa.select(User).order_by(User.id).execution_options(yield_per=USER_BATCH)
    for user in db.session.execute(statement).scalars():
        row = {name: getattr(user, name) for name in USER_FIELDS}
        row.update(
            id=str(user.id),
            metadata=user.user_metadata,
            roles=sorted(link.role.name for link in user.role_links),
        )
        if user.id in factors:
            row["totp"] = factors[user.id]
        yield row


def _sealed(key: TransferKey | None, secret: str | None, field: str) -> str | None:
    return key.seal(secret, field) if key and secret else None


def _providers(key: TransferKey | None) -> list[dict[str, Any]]:
    rows = []
    for p in db.session.execute(sa.select(IdentityProvider)).scalars():
        secret = p.client_secret_sealed
        plain = secretbox.decrypt(secret, CLIENT_SECRET_PURPOSE).decode() if secret else None
        names = ("kind", "display_name", "icon_url", "issuer", "client_id", "scopes", "enabled")
        row = {name: getattr(p, name) for name in names}
        rows.append(
            {
                **row,
                "id": str(p.id),
                "link_by_email": p.link_by_email,
                "client_secret": _sealed(key, plain, "client_secret"),
            }
        )
    return rows


def _identities() -> list[dict[str, Any]]:
    links = db.session.execute(sa.select(UserIdentity)).scalars()
    return [
        {
            "provider_id": str(i.provider_id),
            "user_id": str(i.user_id),
            "subject": i.subject,
            "email": i.email,
        }
        for i in links
    ]


def _webhooks(key: TransferKey | None) -> list[dict[str, Any]]:
    return [
        {
            "url": w.url,
            "description": w.description,
            "event_types": w.event_types,
            "is_active": w.is_active,
            "secret": _sealed(key, signing.unseal(w.secret_sealed), "webhook_secret"),
        }
        for w in db.session.execute(sa.select(WebhookEndpoint)).scalars()
    ]


def count_users(tenant: Tenant) -> int:
    with tenant_context(tenant.id):
        return db.session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def export_chunks(
    tenant: Tenant, key: TransferKey | None, progress: Callable[[int], None]
) -> Iterator[str]:
    """The document as JSON text; ``progress(n)`` after each ``n`` users written.

    Raises MissingKey before writing anything when a secret cannot be left out."""
    with tenant_context(tenant.id):
        users = _users(key)
        first = next(users, None)  # reads the TOTP factors: MissingKey comes first
        head = {
            "format": FORMAT,
            "secrets": key.header() if key else None,
            "tenant": {"slug": tenant.slug, "name": tenant.name, "settings": tenant.settings},
            "theme": _theme(),
            "roles": _roles(),
            "identity_providers": _providers(key),
            "webhooks": _webhooks(key),
            "permissions": directory.dump_permissions(),
            "organizations": directory.dump_organizations(),
            "applications": directory.dump_applications(),
        }
        yield json.dumps(head, default=str)[:-1] + ', "users": ['
        for index, row in enumerate(_chain(first, users)):
            yield ("," if index else "") + "\n" + json.dumps(row, default=str)
            progress(1)
        yield '],\n"identities": ' + json.dumps(_identities()) + "}\n"


def _chain(first, rest: Iterator) -> Iterator:
    if first is not None:
        yield first
        yield from rest
