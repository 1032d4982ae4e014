"""``authsvc admins``: platform and tenant administrator accounts."""

from __future__ import annotations

import click

from authsvc.cli.base import command, emit, tenant_by_slug

admins = click.Group("admins", help="Manage administrator accounts.")


@command(admins, "create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--tenant", "slug", help="Make a tenant admin of this tenant (default: platform).")
def admins_create(as_json: bool, email: str, password: str, slug: str | None) -> None:
    """Create a platform admin, or with --tenant an admin of that tenant."""
    from authsvc.admins.service import create_admin

    admin = create_admin(email, password, tenant_by_slug(slug) if slug else None)
    row = {"id": str(admin.id), "email": admin.email, "platform": admin.is_platform_admin}
    kind = "platform admin" if not slug else f"admin of {slug}"
    emit(row, as_json, lambda r: click.echo(f"{r['email']} is now {kind}"))
