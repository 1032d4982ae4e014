"""The shared Redis client, when ``AUTHSVC_REDIS_URL`` is configured.

``redis://`` and ``rediss://`` URLs name one server. ``redis+sentinel://host:port
[,host:port...]/service_name[/db]`` names Redis Sentinels: redis-py's ``Sentinel``
asks them for the service's current primary on every (re)connection, so after a
failover the next command reaches the promoted replica.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import redis
from flask import current_app
from redis.sentinel import Sentinel

log = logging.getLogger(__name__)
T = TypeVar("T")


SENTINEL_SCHEME = "redis+sentinel"
# Short timeouts: a dead Redis must cost a request seconds, not minutes.
OPTIONS = {"socket_timeout": 2, "socket_connect_timeout": 2}


@dataclass(frozen=True)
class SentinelTarget:
    """What a ``redis+sentinel://`` URL names."""

    sentinels: list[tuple[str, int]]
    service: str
    db: int
    password: str | None


def sentinel_target(url: str) -> SentinelTarget | None:
    """The Sentinels, service and database of a sentinel URL; None for any other URL.

    Raises ValueError when a sentinel URL lacks its service name or has a bad port or db.
    """
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        return None
    sentinels = []
    for location in parts.netloc.rpartition("@")[2].split(","):
        host, colon, port = location.rpartition(":")
        sentinels.append((host, int(port)) if colon else (location, 26379))
    service, _, db = parts.path.removeprefix("/").partition("/")
    if not service or "/" in db or not all(host for host, _ in sentinels):
        raise ValueError("expected redis+sentinel://host:port[,host:port]/service_name[/db]")
    password = unquote(parts.password) if parts.password else None
    return SentinelTarget(sentinels, service, int(db or 0), password)


def connect(url: str) -> redis.Redis:
    """A client of the server ``url`` names, or of the current primary behind Sentinels."""
    target = sentinel_target(url)
    if target is None:
        return redis.Redis.from_url(url, health_check_interval=30, **OPTIONS)
    sentinel = Sentinel(
        target.sentinels, sentinel_kwargs=OPTIONS, password=target.password, **OPTIONS
    )
    return sentinel.master_for(target.service, db=target.db, health_check_interval=30)


def limiter_storage(url: str | None) -> tuple[str, dict]:
    """Flask-Limiter's storage URI and options for ``AUTHSVC_REDIS_URL``.

    The limits library reads a sentinel URL's path as the service name alone, so
    the database goes in the options; counts are read from the primary too, since
    a lagging replica would let a burst through.
    """
    target = sentinel_target(url) if url else None
    if target is None:
        return url or "memory://", {}
    hosts = ",".join(f"{host}:{port}" for host, port in target.sentinels)
    uri = f"{SENTINEL_SCHEME}://{hosts}/{target.service}"
    options = {"db": target.db, "use_replicas": False, **OPTIONS}
    if target.password:
        options["password"] = target.password
    return uri, options


def redis_client() -> redis.Redis | None:
    """One connection pool per app; None in the embedded mode without Redis."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    state = current_app.extensions.setdefault("authsvc.redis", {})
    if "client" not in state:
        state["client"] = connect(url)
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
