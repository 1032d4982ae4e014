"""Request ids, request metrics and access logs without secrets (headers: security_headers.py)."""

from __future__ import annotations

import logging
import re
import secrets
import time

from flask import Flask, g, request
from werkzeug.middleware.proxy_fix import ProxyFix

from authsvc.logs import configure_logging
from authsvc.metrics import instruments

log = logging.getLogger("authsvc.access")

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
# Query parameters that may carry secrets are never logged.
QUIET_ENDPOINTS = frozenset({"api.auth_validate", "metrics.scrape"})
_SECRET_PARAMS = re.compile(r"(token|key|secret|password|code)=[^&]*", re.IGNORECASE)


def _start() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else secrets.token_hex(8)
    g.started = time.perf_counter()


def _finish(response):
    request_id = g.get("request_id", "")
    response.headers[REQUEST_ID_HEADER] = request_id
    status = response.status_code
    if status not in (429, 503):
        # Flask-Limiter sends Retry-After on every response; it only means something on these.
        response.headers.pop("Retry-After", None)
    started = g.get("started")
    elapsed = time.perf_counter() - started if started else 0.0
    route = request.url_rule.rule if request.url_rule else None
    instruments.request_finished(route, request.method, status, elapsed)
    # A reverse proxy asks /auth/validate once per request it forwards and logs
    # the request itself, and Prometheus scrapes all day: successes log at DEBUG only.
    quiet = status < 400 and request.endpoint in QUIET_ENDPOINTS
    level = logging.DEBUG if quiet else logging.INFO
    if log.isEnabledFor(level):
        _log_access(level, status, elapsed * 1000, route, request_id)
    return response


def _log_access(level: int, status: int, elapsed_ms: float, route, request_id: str) -> None:
    query = request.query_string
    if query:
        query = "?" + _SECRET_PARAMS.sub(r"\1=[redacted]", query.decode(errors="replace"))
    path = request.path + (query or "")
    fields = {"method": request.method, "path": path, "route": route, "status": status}
    log.log(
        level,
        "%s %s %s %.1fms request_id=%s",
        request.method,
        path,
        status,
        elapsed_ms,
        request_id,
        extra={**fields, "duration_ms": round(elapsed_ms, 1)},
    )


def trust_proxies(app: Flask) -> None:
    """Wrap the whole WSGI stack (call last), so every layer sees the real client."""
    hops = app.config["PROXY_FIX_HOPS"]
    if hops:
        # Behind a load balancer the client address, scheme and host come from
        # X-Forwarded-*; trusting exactly the configured number of hops.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def init_app(app: Flask) -> None:
    configure_logging(app.config["LOG_LEVEL"], app.config["LOG_FORMAT"])
    app.before_request(_start)
    app.after_request(_finish)
