"""``authsvc api-keys``: create, list and revoke a tenant's API keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from authsvc.cli.base import command, emit, tenant_by_slug

api_keys = click.Group("api-keys", help="Create, list and revoke a tenant's API keys.")


def _key_row(key) -> dict[str, Any]:
    return {
        "id": str(key.id),
        "name": key.name,
        "prefix": key.prefix,
        "scopes": key.scopes,
        "expires_at": key.expires_at.isoformat() if key.expires_at else None,
        "last_used_at": key.last_used_at.isoformat() if key.last_used_at else None,
    }


@command(api_keys, "create")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
@click.option("--name", required=True, help="What the key is for.")
@click.option("--scopes", required=True, help="Comma-separated, e.g. users:read,users:write.")
@click.option("--expires-in-days", type=click.IntRange(min=1), help="Expire after N days.")
def api_keys_create(as_json: bool, slug: str, name: str, scopes: str, expires_in_days) -> None:
    """Create an API key; the key is printed once."""
    from authsvc.apikeys.service import create_api_key
    from authsvc.db import utcnow
    from authsvc.tenancy import tenant_context

    tenant = tenant_by_slug(slug)
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    scope_list = [s.strip() for s in scopes.split(",") if s.strip()]
    with tenant_context(tenant.id):
        key, plaintext = create_api_key(name, scope_list, expires, actor="cli")
        row = {**_key_row(key), "key": plaintext}

    def human(row):
        click.echo(f"API key for {slug} ({', '.join(row['scopes'])}); it is shown only once:")
        click.echo(row["key"])

    emit(row, as_json, human)


@command(api_keys, "list")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
def api_keys_list(as_json: bool, slug: str) -> None:
    """List a tenant's active API keys."""
    from authsvc.apikeys.service import list_api_keys
    from authsvc.tenancy import tenant_context

    with tenant_context(tenant_by_slug(slug).id):
        rows = [_key_row(k) for k in list_api_keys()]

    def human(rows):
        for row in rows:
            click.echo(f"{row['prefix']}  {row['name']:<20} {','.join(row['scopes'])}")
        if not rows:
            click.echo("No active keys.")

    emit(rows, as_json, human)


@command(api_keys, "revoke")
@click.argument("prefix")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
def api_keys_revoke(as_json: bool, prefix: str, slug: str) -> None:
    """Revoke an API key by its prefix (the part after ``ak_``)."""
    from authsvc.apikeys.service import find_by_prefix, revoke_api_key
    from authsvc.tenancy import tenant_context

    with tenant_context(tenant_by_slug(slug).id):
        row = _key_row(revoke_api_key(find_by_prefix(prefix), actor="cli"))
    emit(row, as_json, lambda r: click.echo(f"Revoked {r['prefix']}"))
