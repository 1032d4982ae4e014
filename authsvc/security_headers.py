"""Security headers on every response: CSP with per-request nonces, HSTS, referrer, sniffing.

Rationale: the Content-Security-Policy allows no inline script anywhere. A
template that cannot avoid an inline ``<script>`` marks it with
``nonce="{{ csp_nonce() }}"``; the nonce is random per request and only then
added to the policy. ``frame-ancestors`` is ``'none'`` (plus
``X-Frame-Options: DENY``) except on a tenant's hosted pages, where the tenant's
``frame_ancestors`` setting may allow its own sites to embed them. The JSON API
gets a policy that allows nothing; the Swagger UI page gets its own policy
(its styles are inline) and a nonce for its one inline script. A response that
already carries a policy (e.g. an SVG served with ``sandbox``) keeps it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import Flask, Response, current_app, g, request

from authsvc.tenants.urls import Origin

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_ENDPOINTS = {"api.doc"}


def csp_nonce() -> str:
    """This request's script nonce (created on first use)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _sources(origins: Iterable[Origin]) -> list[str]:
    # Policies are built from parsed origins only: text from settings never reaches
    # the header, so it cannot end a directive and start another (";").
    sources = []
    for origin in origins:
        if not isinstance(origin, Origin):
            raise TypeError(f"a CSP source must be an Origin, not {type(origin).__name__}")
        sources.append(str(origin))
    return sources


def allow_framing_by(origins: Iterable[Origin]) -> None:
    """Let these origins embed the current page (hosted pages, from tenant settings)."""
    g.csp_frame_ancestors = _sources(origins)


def allow_form_targets(origins: Iterable[Origin]) -> None:
    """Origins a form on this page may submit or be redirected to (``form-action``)."""
    g.csp_form_action = _sources(origins)


def _page_policy(docs: bool) -> str:
    script = ["'self'"]
    if "csp_nonce" in g:
        script.append(f"'nonce-{g.csp_nonce}'")
    ancestors = g.get("csp_frame_ancestors") or ["'none'"]
    directives = {
        "default-src": ["'self'"],
        "script-src": script,
        # The Swagger UI page styles itself inline; no page of ours does.
        "style-src": ["'self'", "'unsafe-inline'"] if docs else ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'", *g.get("csp_form_action", [])],
        "frame-ancestors": ancestors,
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


# Every JSON API answer gets the same headers; set them without building a policy.
_API_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Content-Security-Policy", API_POLICY),
    ("X-Frame-Options", "DENY"),
)


def _apply(response: Response) -> Response:
    headers = response.headers
    max_age = current_app.config["SECURITY_HSTS_MAX_AGE"]
    if request.is_secure and max_age:
        headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    if request.blueprint == "api" and request.endpoint not in DOCS_ENDPOINTS:
        # No API view sets any of these, so they are appended in one go (a
        # setdefault per header scans the whole header list each time).
        if "Content-Security-Policy" not in headers:
            headers.extend(_API_HEADERS)
        return response
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin: URLs (which may carry emailed tokens) never leave for other sites, while
    # our own form posts keep the Referer that Flask-WTF's strict HTTPS CSRF check requires.
    headers.setdefault("Referrer-Policy", "same-origin")
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = _page_policy(request.endpoint in DOCS_ENDPOINTS)
    if "frame-ancestors 'none'" in headers["Content-Security-Policy"]:
        headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_apply)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
