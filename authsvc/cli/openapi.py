"""``authsvc openapi``: the OpenAPI 3.1 document, or a Postman collection made from it."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext


@click.command("openapi")
@click.option("--postman", is_flag=True, help="Write a Postman collection (v2.1) instead.")
@click.option(
    "--output", "-o", type=click.File("w"), default="-", help="File to write (default: stdout)."
)
@click.option("--base-url", help="Server the Postman collection calls (default: BASE_URL).")
@with_appcontext
def openapi_command(postman: bool, output, base_url: str | None) -> None:
    """Print the API's OpenAPI 3.1 document (what /api/v1/openapi.json serves)."""
    from authsvc.api import openapi_document
    from authsvc.api.postman import collection

    base = base_url or current_app.config["BASE_URL"]
    # restx renders its document inside a request (it builds URLs with url_for).
    with current_app.test_request_context(base_url=base):
        document = openapi_document()
    if postman:
        document = collection(document, base)
    output.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
