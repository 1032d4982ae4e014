"""Static files: fingerprinted URLs cached for a year, compression, and the favicon.

Rationale: ``url_for`` on a static endpoint (ours, and Bootstrap-Flask's
``bootstrap.static``) gains a ``v`` argument, the start of the file's SHA-256.
A request whose ``v`` matches the file on disk is answered with
``Cache-Control: public, max-age=31536000, immutable``: a changed file gets a
new URL, so browsers never need to revalidate. Without ``v``, or with a stale
one, the answer stays ``no-cache`` (revalidated with its ETag), so an old
page never pins an old file for a year under a URL that now means another.
Compression (Flask-Compress) is limited to CSS, JavaScript, SVG and fonts:
HTML pages and JSON carry secrets (CSRF and access tokens) next to reflected
input, which compression would let an observer guess (BREACH).
"""

from __future__ import annotations

import hashlib
import os

from flask import Flask, Response, current_app, redirect, request, url_for
from werkzeug.security import safe_join

EXTENSION = "authsvc.static_assets"
STATIC_ENDPOINTS = ("static", "bootstrap.static")
IMMUTABLE = "public, max-age=31536000, immutable"
COMPRESSED_TYPES = [
    "text/css",
    "text/javascript",
    "application/javascript",
    "image/svg+xml",
    "font/ttf",
]


def _folder(endpoint: str) -> str | None:
    if endpoint == "static":
        return current_app.static_folder
    blueprint = current_app.blueprints.get(endpoint.rsplit(".", 1)[0])
    return blueprint.static_folder if blueprint is not None else None


def fingerprint(endpoint: str, filename: str) -> str | None:
    """The first 12 hex digits of the file's SHA-256, or None if there is no such file."""
    folder = _folder(endpoint)
    path = safe_join(folder, filename) if folder else None
    if path is None or not os.path.isfile(path):
        return None
    stat = os.stat(path)
    # Keyed by modification time too, so an edited file (in development) gets a new URL.
    key = (path, stat.st_mtime_ns, stat.st_size)
    digests: dict = current_app.extensions[EXTENSION]
    if key not in digests:
        with open(path, "rb") as handle:
            digests[key] = hashlib.file_digest(handle, "sha256").hexdigest()[:12]
    return digests[key]


def _add_fingerprint(endpoint: str, values: dict) -> None:
    if endpoint in STATIC_ENDPOINTS and "v" not in values and "filename" in values:
        digest = fingerprint(endpoint, values["filename"])
        if digest:
            values["v"] = digest


def _static_response(response: Response) -> Response:
    """Text files buffered for compression; cache headers for a fingerprinted file."""
    if response.direct_passthrough and response.mimetype in COMPRESSED_TYPES:
        # Any extension's static file (restx's Swagger UI too). Read the file now:
        # Flask-Compress then compresses a body, not a stream it would wrap in a
        # generator that never closes the file.
        response.direct_passthrough = False
        response.make_sequence()
    if request.endpoint not in STATIC_ENDPOINTS or response.status_code not in (200, 304):
        return response
    wanted = request.args.get("v")
    filename = (request.view_args or {}).get("filename", "")
    if wanted and wanted == fingerprint(request.endpoint, filename):
        response.headers["Cache-Control"] = IMMUTABLE
    return response


def favicon():
    """Browsers ask for /favicon.ico by themselves; answer with the platform's icon."""
    return redirect(url_for("static", filename="favicon.svg"), code=301)


def init_app(app: Flask) -> None:
    from authsvc.extensions import compress

    app.extensions[EXTENSION] = {}
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    # Streams stay as they are (files are buffered above): no generator to leak a file.
    app.config.setdefault("COMPRESS_STREAMS", False)
    compress.init_app(app)
    app.url_defaults(_add_fingerprint)
    app.after_request(_static_response)
    app.add_url_rule("/favicon.ico", "favicon", favicon)
