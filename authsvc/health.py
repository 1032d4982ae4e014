"""Liveness and readiness probes."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify

from authsvc.db import schema_revisions
from authsvc.extensions import db
from authsvc.kv import redis_client

bp = Blueprint("health", __name__)


LIVENESS_PATH = "/healthz"
_LIVE_BODY = b'{"status":"ok"}\n'


class LivenessProbe:
    """WSGI middleware answering ``GET /healthz`` before Flask.

    Liveness only says the process can answer; running it through the whole
    request pipeline (rate limiter, request id, security headers, access log)
    made the probe cost twice a bare Flask request. Readiness stays in Flask.
    """

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == LIVENESS_PATH and environ.get("REQUEST_METHOD") in (
            "GET",
            "HEAD",
        ):
            headers = [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(_LIVE_BODY))),
                ("Cache-Control", "no-store"),
                # The same baseline headers every other answer gets.
                ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
                ("X-Frame-Options", "DENY"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "same-origin"),
            ]
            if environ.get("wsgi.url_scheme") == "https":
                headers.append(("Strict-Transport-Security", "max-age=31536000"))
            start_response("200 OK", headers)
            return [] if environ["REQUEST_METHOD"] == "HEAD" else [_LIVE_BODY]
        return self.wsgi_app(environ, start_response)


def init_app(app) -> None:
    app.register_blueprint(bp)
    app.wsgi_app = LivenessProbe(app.wsgi_app)


def _check_database() -> str | None:
    current = schema_revisions(db.engine)
    migrate = current_app.extensions["migrate"]
    script = ScriptDirectory(migrate.directory)
    heads = set(script.get_heads())
    if set(current) != heads:
        return (
            f"schema at {sorted(current) or 'nothing'}, expected {sorted(heads)}; run authsvc init"
        )
    return None


def _check_redis() -> str | None:
    client = redis_client()
    if client is None:
        return None
    client.ping()
    return None


@bp.get("/readyz")
def readyz():
    """Ready to serve: database reachable and migrated; Redis reachable when configured.

    Only the database decides readiness. Without Redis every process still serves
    (counters fall back to the database or to memory, see docs/operations.md), and
    a shared Redis outage failing every pod's probe would empty the load balancer:
    the probe answers 200 with ``"status": "degraded"`` so monitoring still sees it.
    """
    checks: dict[str, str] = {}
    failed: set[str] = set()
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        if name == "redis" and not current_app.config.get("REDIS_URL"):
            checks[name] = "not configured"
            continue
        try:
            problem = check()
        except Exception as exc:  # noqa: BLE001 - any failure makes the probe fail
            problem = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        checks[name] = problem or "ok"
        if problem is not None:
            failed.add(name)
    if "database" in failed:
        return jsonify(status="fail", checks=checks), 503
    return jsonify(status="degraded" if failed else "ok", checks=checks), 200
