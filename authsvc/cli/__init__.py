"""The ``authsvc`` command: schema, tenants, API keys, admins, serving.

Also reachable as ``flask --app authsvc`` and ``python -m authsvc.cli``. Every command
takes ``--json`` and exits non-zero with a one-line reason on bad input. One module per
domain: ``setup`` (init), ``tenants``, ``apikeys``, ``admins``, ``keys`` (signing keys),
``users`` (import), ``openapi`` (API document), ``serve`` (serve, up, worker); ``base``
holds what they share.
"""

from __future__ import annotations

from flask import Flask
from flask.cli import FlaskGroup

from authsvc.cli.admins import admins
from authsvc.cli.apikeys import api_keys
from authsvc.cli.keys import keys
from authsvc.cli.openapi import openapi_command
from authsvc.cli.serve import serve_command, up_command, worker_command
from authsvc.cli.setup import init_command
from authsvc.cli.tenants import tenants
from authsvc.cli.users import users

COMMANDS = (
    init_command,
    serve_command,
    up_command,
    worker_command,
    tenants,
    api_keys,
    admins,
    keys,
    users,
    openapi_command,
)


def init_app(app: Flask) -> None:
    """Add every authsvc command to ``app.cli`` (``flask --app authsvc`` and ``authsvc``)."""
    for cmd in COMMANDS:
        app.cli.add_command(cmd)


def _create_app_for_cli() -> Flask:
    from authsvc import create_app

    return create_app()


main = FlaskGroup(
    name="authsvc",
    create_app=_create_app_for_cli,
    add_version_option=False,
    help="authsvc: multi-tenant identity platform. Settings come from AUTHSVC_* variables.",
)
# Found without building the app (FlaskGroup builds it to look up app.cli's commands).
main.add_command(serve_command)
