"""``authsvc admins``: platform and tenant administrator accounts."""

from __future__ import annotations

import click

from authsvc.cli.base import command, emit, tenant_by_slug

admins = click.Group("admins", help="Manage administrator accounts.")
CLI_ACTOR = "cli"


def _row(admin) -> dict:
    from authsvc.extensions import db
    from authsvc.tenants.models import Tenant

    tenants = [db.session.get(Tenant, m.tenant_id) for m in admin.memberships]
    return {
        "id": str(admin.id),
        "email": admin.email,
        "platform": admin.is_platform_admin,
        "role": admin.role,
        "tenants": sorted(t.slug for t in tenants if t is not None),
        "active": admin.is_active,
        "totp": admin.has_totp,
        "last_login_at": admin.last_login_at.isoformat() if admin.last_login_at else None,
    }


@command(admins, "create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--tenant", "slug", help="Make a tenant admin of this tenant (default: platform).")
def admins_create(as_json: bool, email: str, password: str, slug: str | None) -> None:
    """Create a platform admin, or with --tenant an admin of that tenant (a new email only)."""
    from authsvc.admins.service import create_admin

    tenant = tenant_by_slug(slug) if slug else None
    admin = create_admin(email, password, tenant, existing_ok=False)
    row = {"id": str(admin.id), "email": admin.email, "platform": admin.is_platform_admin}
    kind = "platform admin" if not slug else f"admin of {slug}"
    emit(row, as_json, lambda r: click.echo(f"{r['email']} is now {kind}"))


def _print_table(rows: list[dict]) -> None:
    for r in rows:
        role = "platform" if r["platform"] else ",".join(r["tenants"]) or "-"
        role += " (viewer)" if r["role"] == "viewer" else ""
        totp = "totp" if r["totp"] else "no-totp"
        click.echo(f"{r['email']}\t{role}\t{totp}\tlast sign-in {r['last_login_at'] or 'never'}")


@command(admins, "list")
def admins_list(as_json: bool) -> None:
    """Every administrator: role, tenants, TOTP and last sign-in."""
    from authsvc.admins.service import list_admins

    emit([_row(admin) for admin in list_admins()], as_json, _print_table)


@command(admins, "set-password")
@click.argument("email")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def admins_set_password(as_json: bool, email: str, password: str) -> None:
    """Set an administrator's password; their panel sessions end."""
    from authsvc.admins.service import get_admin, set_password

    admin = get_admin(email)
    set_password(admin, password, CLI_ACTOR)
    emit(_row(admin), as_json, lambda r: click.echo(f"Password of {r['email']} changed."))


@command(admins, "remove")
@click.argument("email")
@click.confirmation_option(prompt="Remove this administrator?")
def admins_remove(as_json: bool, email: str) -> None:
    """Remove an administrator (never the last platform admin)."""
    from authsvc.admins.service import get_admin, remove_admin

    admin = get_admin(email)
    row = _row(admin)
    remove_admin(admin, CLI_ACTOR)
    emit(row, as_json, lambda r: click.echo(f"{r['email']} removed."))
