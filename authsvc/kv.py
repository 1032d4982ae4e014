"""The shared Redis client, when ``AUTHSVC_REDIS_URL`` is configured."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import redis
from flask import current_app

log = logging.getLogger(__name__)
T = TypeVar("T")


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


def redis_or_database(
    through_redis: Callable[[redis.Redis], T], through_database: Callable[[], T]
) -> T:
    """``through_redis(client)`` when Redis is configured and answers, else ``through_database()``.

    Counters that Redis normally holds (sign-in lockouts, mail caps) fall back to
    their database tables while Redis is unreachable: requests keep being served
    and the counts stay shared by every process, rather than every request failing.
    """
    client = redis_client()
    if client is None:
        return through_database()
    try:
        return through_redis(client)
    except redis.RedisError as exc:
        log.warning("Redis unreachable, counting in the database instead: %s", type(exc).__name__)
        return through_database()
