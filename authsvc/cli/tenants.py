"""``authsvc tenants``: create, list, deactivate, export and import tenants."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from authsvc.cli.base import command, emit, tenant_by_slug

tenants = click.Group("tenants", help="Create, list, deactivate, export and import tenants.")
_secrets_key = click.option(
    "--secrets-key",
    envvar="AUTHSVC_TRANSFER_KEY",
    help="Passphrase sealing the secrets in the file (or AUTHSVC_TRANSFER_KEY; "
    "without it they are left out).",
)


def _tenant_row(tenant) -> dict[str, Any]:
    return {
        "id": str(tenant.id),
        "slug": tenant.slug,
        "name": tenant.name,
        "domains": tenant.domains,
        "is_active": tenant.is_active,
    }


@command(tenants, "create")
@click.argument("slug")
@click.option("--name", help="Display name (defaults to the slug).")
@click.option("--domain", "domains", multiple=True, help="Host name for hosted pages.")
@click.option("--cors-origin", "origins", multiple=True, help="Allowed browser origin.")
def tenants_create(as_json: bool, slug: str, name: str | None, domains, origins) -> None:
    """Create a tenant with its built-in roles."""
    from authsvc.tenants.service import create_tenant

    tenant = create_tenant(slug, name or slug, list(domains), {"cors_origins": list(origins)})
    emit(_tenant_row(tenant), as_json, lambda t: click.echo(f"Created tenant {t['slug']}"))


@command(tenants, "list")
def tenants_list(as_json: bool) -> None:
    """List tenants."""
    from authsvc.tenants.service import list_tenants

    rows = [_tenant_row(t) for t in list_tenants()]

    def human(rows):
        if not rows:
            click.echo("No tenants yet: authsvc tenants create SLUG --name NAME")
        for row in rows:
            state = "active" if row["is_active"] else "inactive"
            click.echo(f"{row['slug']:<24} {state:<9} {row['name']}")

    emit(rows, as_json, human)


@command(tenants, "deactivate")
@click.argument("slug")
def tenants_deactivate(as_json: bool, slug: str) -> None:
    """Deactivate a tenant: its API keys and tokens are refused at once with Redis,
    within AUTHSVC_AUTH_DENYLIST_POLL_SECONDS without it."""
    from authsvc.tenants.service import deactivate_tenant

    tenant = deactivate_tenant(tenant_by_slug(slug), actor="cli")
    emit(_tenant_row(tenant), as_json, lambda t: click.echo(f"Deactivated {t['slug']}"))


@command(tenants, "export")
@click.argument("slug")
@_secrets_key
def tenants_export(as_json: bool, slug: str, secrets_key: str | None) -> None:
    """Write a tenant (settings, theme, roles, users, providers, webhooks) as JSON to stdout."""
    from authsvc.tenants.transfer.dump import MissingKey, count_users, export_chunks
    from authsvc.tenants.transfer.sealing import TransferKey

    tenant = tenant_by_slug(slug)
    key = TransferKey(secrets_key) if secrets_key else None
    label = f"Exporting {slug}"
    with click.progressbar(length=count_users(tenant), label=label, file=sys.stderr) as bar:
        try:
            for chunk in export_chunks(tenant, key, bar.update):
                click.echo(chunk, nl=False)
        except MissingKey as exc:
            raise click.ClickException(f"Give --secrets-key: the tenant has {exc}.") from None


@command(tenants, "import")
@click.argument("path", type=click.File("rb"))
@click.option("--as", "slug", help="Slug for the imported tenant (default: the exported one).")
@_secrets_key
def tenants_import(as_json: bool, path, slug: str | None, secrets_key: str | None) -> None:
    """Create a tenant from an export file, in one transaction."""
    from flask import current_app

    from authsvc.tenants.transfer.restore import import_tenant

    try:
        document = json.load(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"{path.name} is not JSON: {exc}") from None
    users = len(document.get("users") or []) if isinstance(document, dict) else 0
    secret = current_app.config["SECRET_KEY"]
    with click.progressbar(length=users, label="Importing users", file=sys.stderr) as bar:
        tenant = import_tenant(document, secrets_key, slug, secret, bar.update)
    emit(_tenant_row(tenant), as_json, lambda t: click.echo(f"Imported tenant {t['slug']}"))
