"""What every command module shares: the ``command`` decorator, ``--json`` output, tenant lookup.

Top-level commands (``init``, ``serve``, ``up``, ``worker``) hang off ``root``; each domain
module defines its own click group. ``authsvc.cli.init_app`` adds both to ``app.cli``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask.cli import with_appcontext

from authsvc.errors import AuthsvcError


@click.group("root")
def root() -> None:
    """Placeholder group so top-level commands share the ``command`` helper."""


def emit(data: Any, as_json: bool, human: Callable[[Any], None]) -> None:
    """Print ``data`` as indented JSON with ``--json``, else through ``human``."""
    if as_json:
        click.echo(json.dumps(data, indent=2, default=str))
    else:
        human(data)


def command(group: click.Group, name: str, app_context: bool = True, **kwargs):
    """A subcommand that runs in the app context (unless ``app_context=False``), takes
    --json and reports errors in one line."""

    def decorator(func):
        @group.command(name, **kwargs)
        @click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
        @(with_appcontext if app_context else _as_is)
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


def _as_is(func):
    return func


def tenant_by_slug(slug: str):
    """The tenant called ``slug``; NotFound (a one-line error) when there is none."""
    from authsvc.tenants.service import get_tenant_by_slug

    return get_tenant_by_slug(slug)
