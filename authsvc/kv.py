"""The shared Redis client, when ``AUTHSVC_REDIS_URL`` is configured."""

from __future__ import annotations

import redis
from flask import current_app


def redis_client() -> redis.Redis | None:
    """One connection pool per app; None in the embedded mode without Redis."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    state = current_app.extensions.setdefault("authsvc.redis", {})
    if "client" not in state:
        state["client"] = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
        )
    return state["client"]
