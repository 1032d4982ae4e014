"""The ``authsvc`` command: schema, tenants, API keys, admins, serving.

Also reachable as ``flask --app authsvc``. Every command takes ``--json`` and
exits non-zero with a one-line reason on bad input.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sys
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from authsvc.errors import AuthsvcError


def _emit(data: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        human(data)


def command(group: click.Group, name: str, **kwargs):
    """A subcommand that runs in the app context, takes --json and reports errors in one line."""

    def decorator(func):
        @group.command(name, **kwargs)
        @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
        @with_appcontext
        @wraps(func)
        def wrapper(*args, **kw):
            try:
                return func(*args, **kw)
            except AuthsvcError as exc:
                fields = exc.extra.get("errors") or {}
                details = "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in fields.items())
                raise click.ClickException(f"{exc.detail} {details}".strip()) from None

        return wrapper

    return decorator


def _tenant(slug: str):
    from authsvc.tenants.service import get_tenant_by_slug

    return get_tenant_by_slug(slug)


# --- init -----------------------------------------------------------------


@click.group("root")
def root() -> None:
    """Placeholder group so top-level commands share the ``command`` helper."""


@command(root, "init")
@click.option("--demo", is_flag=True, help="Also create the demo tenant, API key and admin.")
def init_command(as_json: bool, demo: bool) -> None:
    """Create or upgrade the database schema."""
    result = {"schema": upgrade_schema()}
    if demo:
        result["demo"] = ensure_demo()
    _emit(result, as_json, _print_init)


def upgrade_schema() -> str:
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


def _print_init(result: dict[str, Any]) -> None:
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


# --- tenants --------------------------------------------------------------


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
    _emit(_tenant_row(tenant), as_json, lambda t: click.echo(f"Created tenant {t['slug']}"))


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

    _emit(rows, as_json, human)


@command(tenants, "deactivate")
@click.argument("slug")
def tenants_deactivate(as_json: bool, slug: str) -> None:
    """Deactivate a tenant: its API keys stop working within 30 seconds."""
    from authsvc.tenants.service import deactivate_tenant

    tenant = deactivate_tenant(_tenant(slug), actor="cli")
    _emit(_tenant_row(tenant), as_json, lambda t: click.echo(f"Deactivated {t['slug']}"))


# --- api keys -------------------------------------------------------------


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

    tenant = _tenant(slug)
    expires = utcnow() + timedelta(days=expires_in_days) if expires_in_days else None
    scope_list = [s.strip() for s in scopes.split(",") if s.strip()]
    with tenant_context(tenant.id):
        key, plaintext = create_api_key(name, scope_list, expires, actor="cli")
        row = {**_key_row(key), "key": plaintext}

    def human(row):
        click.echo(f"API key for {slug} ({', '.join(row['scopes'])}); it is shown only once:")
        click.echo(row["key"])

    _emit(row, as_json, human)


@command(api_keys, "list")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
def api_keys_list(as_json: bool, slug: str) -> None:
    """List a tenant's active API keys."""
    from authsvc.apikeys.service import list_api_keys
    from authsvc.tenancy import tenant_context

    with tenant_context(_tenant(slug).id):
        rows = [_key_row(k) for k in list_api_keys()]

    def human(rows):
        for row in rows:
            click.echo(f"{row['prefix']}  {row['name']:<20} {','.join(row['scopes'])}")
        if not rows:
            click.echo("No active keys.")

    _emit(rows, as_json, human)


@command(api_keys, "revoke")
@click.argument("prefix")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
def api_keys_revoke(as_json: bool, prefix: str, slug: str) -> None:
    """Revoke an API key by its prefix (the part after ``ak_``)."""
    from authsvc.apikeys.service import find_by_prefix, revoke_api_key
    from authsvc.tenancy import tenant_context

    with tenant_context(_tenant(slug).id):
        row = _key_row(revoke_api_key(find_by_prefix(prefix), actor="cli"))
    _emit(row, as_json, lambda r: click.echo(f"Revoked {r['prefix']}"))


# --- admins ---------------------------------------------------------------


admins = click.Group("admins", help="Manage administrator accounts.")


@command(admins, "create")
@click.option("--email", required=True)
@click.option("--password", required=True, help="At least 8 characters.")
@click.option("--tenant", "slug", help="Make a tenant admin of this tenant (default: platform).")
def admins_create(as_json: bool, email: str, password: str, slug: str | None) -> None:
    """Create a platform admin, or with --tenant an admin of that tenant."""
    from authsvc.admins.service import create_admin

    admin = create_admin(email, password, _tenant(slug) if slug else None)
    row = {"id": str(admin.id), "email": admin.email, "platform": admin.is_platform_admin}
    kind = "platform admin" if not slug else f"admin of {slug}"
    _emit(row, as_json, lambda r: click.echo(f"{r['email']} is now {kind}"))


# --- signing keys and user import ------------------------------------------


keys_group = click.Group("keys", help="Manage a tenant's token-signing keys.")


@command(keys_group, "rotate")
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
@click.option("--alg", type=click.Choice(["ES256", "RS256"]), help="Default: the tenant's setting.")
def keys_rotate(as_json: bool, slug: str, alg: str | None) -> None:
    """Add a new signing key; the old public key stays published until its tokens expire."""
    from authsvc.auth.tenant_policy import policy_for
    from authsvc.tokens.keys import rotate

    tenant = _tenant(slug)
    policy = policy_for(tenant)
    row = rotate(tenant.id, alg or policy.token_alg, policy.access_token_ttl_seconds)
    result = {"tenant": slug, "kid": row.kid, "alg": row.alg}
    _emit(result, as_json, lambda r: click.echo(f"New signing key {r['kid']} ({r['alg']})"))


users_group = click.Group("users", help="Bulk operations on a tenant's users.")


@command(users_group, "import")
@click.argument("path", type=click.File("r"))
@click.option("--tenant", "slug", required=True, help="Tenant slug.")
def users_import(as_json: bool, path, slug: str) -> None:
    """Import users from a JSON-lines file (one user object per line), with a progress bar."""
    from authsvc.tenancy import tenant_context
    from authsvc.users.importer import import_row

    lines = [line for line in path if line.strip()]
    results = []
    with tenant_context(_tenant(slug).id):
        with click.progressbar(lines, label="Importing users", file=sys.stderr) as bar:
            for number, line in enumerate(bar, start=1):
                results.append({"line": number, **_import_line(line, import_row)})
        from authsvc.extensions import db

        db.session.commit()
    created = sum(1 for r in results if r["status"] == "created")
    summary = {"created": created, "failed": len(results) - created, "results": results}
    _emit(summary, as_json, _print_import)
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


# --- serving --------------------------------------------------------------


def _default_base_url(host: str, port: int) -> None:
    """Without AUTHSVC_BASE_URL, links (emails, token issuer) point at where we serve."""
    if os.environ.get("AUTHSVC_BASE_URL"):
        return
    shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - only a display
    url = f"http://{shown}:{port}"
    os.environ["AUTHSVC_BASE_URL"] = url  # inherited by the gunicorn workers
    current_app.config["BASE_URL"] = url


def serve(host: str, port: int, workers: int | None, dev: bool) -> None:
    _default_base_url(host, port)
    if dev:
        # The reloader's parent process only watches files; the serving child runs the worker.
        if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
            from authsvc.worker import start_embedded

            start_embedded(current_app._get_current_object())
        current_app.run(host=host, port=port, debug=True, use_reloader=True)
        return
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers or int(os.environ.get("AUTHSVC_WEB_WORKERS", "2"))),
        # Starts the embedded background worker in each web process (EMBEDDED_WORKER).
        "--config",
        "python:authsvc.gunicorn_conf",
        # authsvc logs each request itself, with its request id; no second access log.
        "authsvc.wsgi:app",
    ]
    click.echo(f"==> Serving on http://{host}:{port} (gunicorn, {args[6]} workers)", err=True)
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with gunicorn


_serve_options = [
    click.option("--host", default="127.0.0.1", show_default=True),
    click.option("--port", default=8000, show_default=True, type=int),
    click.option("--workers", type=int, help="gunicorn workers (default AUTHSVC_WEB_WORKERS or 2)"),
    click.option("--dev", is_flag=True, help="Flask's reloading development server."),
]


def _with_serve_options(func):
    for option in reversed(_serve_options):
        func = option(func)
    return func


@command(root, "serve")
@_with_serve_options
def serve_command(as_json: bool, host: str, port: int, workers, dev: bool) -> None:
    """Serve the platform (gunicorn; --dev for the reloader)."""
    serve(host, port, workers, dev)


@command(root, "up")
@_with_serve_options
def up_command(as_json: bool, host: str, port: int, workers, dev: bool) -> None:
    """Initialise the embedded platform with demo data, print the logins, and serve it."""
    _default_base_url(host, port)
    result = {"schema": upgrade_schema(), "demo": ensure_demo()}
    _emit(result, as_json, _print_init)
    serve(host, port, workers, dev)


@command(root, "worker")
def worker_command(as_json: bool) -> None:
    """Run the background jobs (webhook delivery, pruning, ...) until SIGTERM or SIGINT.

    On either signal the worker stops claiming work and finishes what is in flight.
    """
    from authsvc.jobs import registry
    from authsvc.worker import Worker

    app = current_app._get_current_object()
    running = Worker(app)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: running.stop())
    names = ", ".join(job.name for job in registry(app).jobs())
    click.echo(f"==> Worker started (pid {os.getpid()}): {names}", err=True)
    running.run_forever()
    click.echo("==> Worker stopped", err=True)


def init_app(app: Flask) -> None:
    for cmd in root.commands.values():
        app.cli.add_command(cmd)
    for group in (tenants, api_keys, admins, keys_group, users_group):
        app.cli.add_command(group)


def _create_app_for_cli() -> Flask:
    from authsvc import create_app

    return create_app()


main = FlaskGroup(
    name="authsvc",
    create_app=_create_app_for_cli,
    add_version_option=False,
    help="authsvc: multi-tenant identity platform. Settings come from AUTHSVC_* variables.",
)


if __name__ == "__main__":
    main()
