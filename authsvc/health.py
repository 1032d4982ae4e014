"""Liveness and readiness probes."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify

from authsvc.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is alive; touches nothing else."""
    return jsonify(status="ok")


def _check_database() -> str | None:
    with db.engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
        current = MigrationContext.configure(conn).get_current_heads()
    migrate = current_app.extensions["migrate"]
    script = ScriptDirectory(migrate.directory)
    heads = set(script.get_heads())
    if set(current) != heads:
        return (
            f"schema at {sorted(current) or 'nothing'}, expected {sorted(heads)}; run authsvc init"
        )
    return None


def _check_redis() -> str | None:
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    import redis

    redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    return None


@bp.get("/readyz")
def readyz():
    """Ready to serve: database reachable and migrated, Redis reachable when configured."""
    checks: dict[str, str] = {}
    failing = False
    for name, check in (("database", _check_database), ("redis", _check_redis)):
        if name == "redis" and not current_app.config.get("REDIS_URL"):
            checks[name] = "not configured"
            continue
        try:
            problem = check()
        except Exception as exc:  # noqa: BLE001 - any failure makes the probe fail
            problem = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        checks[name] = problem or "ok"
        failing = failing or problem is not None
    return jsonify(status="fail" if failing else "ok", checks=checks), 503 if failing else 200
