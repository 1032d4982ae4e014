"""``authsvc tenants``: create, list and deactivate tenants."""

from __future__ import annotations

from typing import Any

import click

from authsvc.cli.base import command, emit, tenant_by_slug

tenants = click.Group("tenants", help="Create, list and deactivate tenants.")


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
