"""CORS for the API, with allowed origins taken from each tenant's settings.

Flask-CORS computes the headers; we only choose the origins per request. A
request that carries an API key is granted only the origins its tenant lists
in ``settings.cors_origins``. A preflight carries no key, so it is granted an
origin that some active tenant allows; the real request then still needs the
key's tenant to allow it, or the browser gets no CORS grant.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask, current_app, request
from flask_cors.core import get_cors_options, set_cors_headers

from authsvc.apikeys.authentication import HEADER, optional_principal
from authsvc.extensions import db
from authsvc.tenants.models import Tenant

_OPTIONS = {
    "allow_headers": ["Content-Type", "Authorization", HEADER, "X-End-User-IP"],
    "expose_headers": [
        "Retry-After",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
    ],
    "methods": ["GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"],
    "max_age": 600,
    "vary_header": True,
}
_UNION_TTL_SECONDS = 30


def _origins_of_any_tenant() -> list[str]:
    state = current_app.extensions["authsvc.cors"]
    if time.monotonic() - state["fetched_at"] > _UNION_TTL_SECONDS:
        rows = db.session.execute(
            sa.select(Tenant.settings).where(Tenant.is_active.is_(True))
        ).scalars()
        state["origins"] = sorted(
            {origin for settings in rows for origin in (settings or {}).get("cors_origins", [])}
        )
        state["fetched_at"] = time.monotonic()
    return state["origins"]


def apply_cors(response):
    """after_request hook of the API blueprint."""
    if "Origin" not in request.headers:
        return response
    # The grant depends on the key as well as the origin: caches must not share it.
    response.vary.add("Origin")
    principal = optional_principal()
    if principal is not None:
        origins = list(principal.cors_origins)
    elif request.method == "OPTIONS":
        origins = _origins_of_any_tenant()
    else:
        origins = []
    if origins:
        set_cors_headers(response, get_cors_options(None, _OPTIONS, {"origins": origins}))
    return response


def init_app(app: Flask) -> None:
    app.extensions["authsvc.cors"] = {"fetched_at": float("-inf"), "origins": []}
