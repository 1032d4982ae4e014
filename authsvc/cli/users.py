"""``authsvc users import``: bulk-create a tenant's users from JSON lines."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from authsvc.cli.base import command, emit, tenant_by_slug

users = click.Group("users", help="Bulk operations on a tenant's users.")


@command(users, "import")
@click.argument("path", type=click.File("r"))
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
def users_import(as_json: bool, path, slug: str) -> None:
    """Import users from a JSON-lines file (one user object per line), with a progress bar."""
    from authsvc.extensions import db
    from authsvc.tenancy import tenant_context
    from authsvc.users.importer import import_row

    lines = [line for line in path if line.strip()]
    results = []
    with tenant_context(tenant_by_slug(slug).id):
        with click.progressbar(lines, label="Importing users", file=sys.stderr) as bar:
            for number, line in enumerate(bar, start=1):
                results.append({"line": number, **_import_line(line, import_row)})
        db.session.commit()
    created = sum(1 for r in results if r["status"] == "created")
    summary = {"created": created, "failed": len(results) - created, "results": results}
    emit(summary, as_json, _print_import)
    if created < len(results):
        sys.exit(1)


def _import_line(line: str, import_row) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return {"status": "error", "errors": {"line": [f"Not JSON: {exc.msg}."]}}
    return import_row(row, actor="cli")


def _print_import(summary: dict[str, Any]) -> None:
    click.echo(f"Imported {summary['created']} users; {summary['failed']} failed.")
    for row in summary["results"]:
        if row["status"] != "created":
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in row["errors"].items())
            click.echo(f"  line {row['line']}: {problems}")
