"""``authsvc init [--demo]``: the database schema and the demo tenant, key and admin."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import click
from flask import current_app

from authsvc.cli.base import command, emit, root


@command(root, "init")
@click.option("--demo", is_flag=True, help="Also create the demo tenant, API key and admin.")
def init_command(as_json: bool, demo: bool) -> None:
    """Create or upgrade the database schema."""
    result = {"schema": upgrade_schema()}
    if demo:
        result["demo"] = ensure_demo()
    emit(result, as_json, print_init)


def upgrade_schema() -> str:
    """Apply every Alembic migration; creates the instance folder SQLite lives in."""
    from flask_migrate import upgrade

    Path(current_app.instance_path).mkdir(parents=True, exist_ok=True)
    click.echo("==> Upgrading the database schema", err=True)
    upgrade()
    return "up to date"


def ensure_demo() -> dict[str, Any]:
    """The demo tenant, key and admin; credentials are kept in instance/ to re-show them."""
    from authsvc.admins.service import create_admin
    from authsvc.apikeys.service import create_api_key
    from authsvc.tenancy import tenant_context
    from authsvc.tenants.service import create_tenant

    path = Path(current_app.instance_path) / "demo-credentials.json"
    if path.exists():
        return json.loads(path.read_text())
    click.echo("==> Creating the demo tenant", err=True)
    tenant = create_tenant("demo", "Demo Tenant", settings={"cors_origins": []})
    with tenant_context(tenant.id):
        _key, plaintext = create_api_key("demo", ["admin"], actor="cli")
    password = secrets.token_urlsafe(12)
    create_admin("admin@example.com", password)
    demo = {
        "tenant": "demo",
        "api_key": plaintext,
        "admin_email": "admin@example.com",
        "admin_password": password,
    }
    path.write_text(json.dumps(demo, indent=2))
    path.chmod(0o600)
    return demo


def print_init(result: dict[str, Any]) -> None:
    """The human summary of ``init``/``up``: schema state and, with a demo, its logins."""
    click.echo(f"Schema: {result['schema']}")
    demo = result.get("demo")
    if demo:
        base = current_app.config["BASE_URL"]
        click.echo(
            "\n".join(
                [
                    "",
                    "Demo tenant ready (credentials kept in instance/demo-credentials.json):",
                    f"  tenant slug     {demo['tenant']}",
                    f"  API key         {demo['api_key']}",
                    f"  admin login     {demo['admin_email']} / {demo['admin_password']}",
                    f"  admin panel     {base}/admin",
                    f"  API docs        {base}/api/v1/docs",
                    "  try it          curl -H 'X-API-Key: "
                    + demo["api_key"]
                    + f"' {base}/api/v1/users",
                    "",
                ]
            )
        )
