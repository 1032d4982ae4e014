"""Serving a tenant's theme: CSS custom properties, its custom stylesheet, logo and favicon.

Stylesheet URLs carry the theme version (``?v=``): a request for the current
version may be cached for a year, any other gets ``no-cache`` plus an ETag,
so a theme change shows at once. SVG assets are served with a sandboxing
Content-Security-Policy so that they cannot run script even when opened
directly.
"""

from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request

from authsvc.errors import NotFound
from authsvc.hosted.resolve import bind, tenant_for_slug
from authsvc.themes import service
from authsvc.themes.css import theme_properties_css
from authsvc.themes.models import ASSET_KINDS

bp = Blueprint("themes", __name__, url_prefix="/t/<slug>")

SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
LONG_CACHE = "public, max-age=31536000, immutable"


@bp.url_value_preprocessor
def _bind_tenant(_endpoint, values) -> None:
    bind(tenant_for_slug(values.pop("slug")))


def _cached(response: Response, current_version: str) -> Response:
    fresh = request.args.get("v") == current_version
    response.cache_control.no_cache = None if fresh else True
    if fresh:
        response.headers["Cache-Control"] = LONG_CACHE
    response.add_etag()
    return response.make_conditional(request)


@bp.get("/theme.css")
def theme_css():
    """The tenant's colours and font as CSS custom properties (``--authsvc-primary``...)."""
    theme = service.get_theme(g.tenant)
    values = {name: getattr(theme, name) for name in service.DEFAULTS}
    response = Response(theme_properties_css(values), mimetype="text/css")
    # Public, and read by the npm package's sign-in elements from the tenant's own site.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _cached(response, str(theme.version))


@bp.get("/widget.js")
def widget_js():
    """The embeddable elements (``<authsvc-sign-in>``, ...), themed with the tenant's colours.

    Public like the stylesheets, and readable from any origin: it holds no secret, and
    the API it calls grants CORS only to the origins the tenant lists.
    """
    theme = service.get_theme(g.tenant)
    values = {name: getattr(theme, name) for name in service.DEFAULTS}
    # Inside a shadow root the properties belong on :host, not :root. The widget sits
    # in the customer's own page, whose colours it cannot know: it stays light.
    css = theme_properties_css(values, dark=False).replace(":root", ":host", 1)
    source = (Path(current_app.static_folder) / "widget" / "widget.js").read_text()
    origin = "new URL(document.currentScript.src).origin"
    arguments = f"{json.dumps(css)}, {json.dumps(g.tenant.slug)}, {origin}"
    body = f"(function (THEME_CSS, SLUG, SCRIPT_ORIGIN) {{\n{source}}})({arguments});\n"
    response = Response(body, mimetype="text/javascript")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return _cached(response, str(theme.version))


@bp.get("/custom.css")
def custom_css():
    """The tenant's sanitised custom CSS, as its own stylesheet."""
    theme = service.get_theme(g.tenant)
    if not theme.custom_css:
        raise NotFound("This tenant has no custom CSS.")
    return _cached(Response(theme.custom_css, mimetype="text/css"), str(theme.version))


@bp.get("/assets/<kind>")
def asset(kind: str):
    """The tenant's logo or favicon."""
    found = service.get_asset(g.tenant, kind) if kind in ASSET_KINDS else None
    if found is None:
        raise NotFound(f"This tenant has no {kind}.")
    response = Response(found.data, mimetype=found.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if found.content_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return _cached(response, found.sha256[:12])
