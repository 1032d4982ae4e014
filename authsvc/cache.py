"""Process-local caches: one TTL map, one registry per app, one invalidation path.

Rationale: hot paths (API-key lookup, tenant facts, signing and verification
keys, verified access tokens, the denylist without Redis) keep what they read
from the database in memory for a few seconds. All of them use
:class:`LocalCache`, a bounded ``cachetools.TTLCache`` behind a lock whose TTL
(seconds) comes from a config setting, registered by name in
``app.extensions["authsvc.cache"]`` (reached through the ``caches`` proxy).

A change is announced with :meth:`Caches.invalidate` (or :meth:`Caches.clear`)
after its transaction commits. The entry is dropped in this process at once
and, when Redis is configured, the cache name and key are published on the one
channel :data:`CHANNEL`; a subscriber thread in every process applies them as
they arrive (milliseconds). Without Redis, or while a process is not
subscribed, entries simply expire: the TTL is the bound, whatever happens.

Two rules keep an entry from outliving an invalidation. A value loaded while
an invalidation of its cache ran is not stored (a generation counter). With
Redis configured, a process stores nothing until its subscription is
confirmed and drops everything when the subscription is lost, since messages
may have been missed meanwhile.

Caches never decide a revocation: revoked sessions, tokens, API keys and
tenants are checked on every request by :mod:`authsvc.tokens.denylist`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import redis
from cachetools import TTLCache
from flask import Flask, current_app
from werkzeug.local import LocalProxy

from authsvc.kv import redis_client

log = logging.getLogger(__name__)

CHANNEL = "authsvc:cache"
#: Seconds between attempts to subscribe again (doubling, at most 30).
RETRY_SECONDS = 1.0
_MISSING = object()


class LocalCache:
    """A named, bounded map whose entries expire ``ttl`` seconds after they were stored.

    Keys are compared as strings (a UUID and its text are the same key). A TTL
    of 0 turns the cache off: every lookup loads.
    """

    def __init__(
        self,
        name: str,
        ttl: float,
        maxsize: int,
        storing: Callable[[], bool] = lambda: True,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name, self.ttl = name, ttl
        self._entries = TTLCache(maxsize, ttl, timer=timer) if ttl > 0 else None
        self._storing = storing
        # cachetools maps are not thread-safe (even a read reorders entries).
        self._lock = threading.Lock()
        self._generation = 0

    def get(self, key: Any, default: Any = None) -> Any:
        if self._entries is None:
            return default
        with self._lock:
            return self._entries.get(str(key), default)

    def set(self, key: Any, value: Any) -> None:
        with self._lock:
            if self._entries is not None and self._storing():
                self._entries[str(key)] = value

    def get_or_load(self, key: Any, load: Callable[[], Any]) -> Any:
        """The cached value, or ``load()``'s (None included), kept unless invalidated meanwhile."""
        return self.get_or_load_many([key], lambda missing: {missing[0]: load()})[str(key)]

    def get_or_load_many(
        self, keys: list[Any], load: Callable[[list[Any]], dict[Any, Any]]
    ) -> dict[str, Any]:
        """Each key's value by its text: cached ones, the others from one ``load(missing)``.

        ``load`` answers every key it is given. Its values are kept unless an
        invalidation happened while it ran (their generation is gone).
        """
        answers: dict[str, Any] = {}
        missing = []
        for key in keys:
            found = self.get(key, _MISSING)
            if found is _MISSING:
                missing.append(key)
            else:
                answers[str(key)] = found
        if not missing:
            return answers
        generation = self._generation
        loaded = load(missing)
        with self._lock:
            keep = self._entries is not None and generation == self._generation and self._storing()
            for key in missing:
                answers[str(key)] = loaded[key]
                if keep:
                    self._entries[str(key)] = loaded[key]
        return answers

    def invalidate(self, key: Any) -> None:
        """Drop one entry in this process (see :meth:`Caches.invalidate` for every process)."""
        with self._lock:
            self._generation += 1
            if self._entries is not None:
                self._entries.pop(str(key), None)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            if self._entries is not None:
                self._entries.clear()

    def __len__(self) -> int:
        return 0 if self._entries is None else len(self._entries)

    def _forked(self) -> None:
        # In a forked child, another thread of the parent may have held the lock.
        self._lock = threading.Lock()
        self._generation += 1
        if self._entries is not None:
            self._entries.clear()


class Caches:
    """The app's named caches and the one invalidation path between processes."""

    def __init__(self, redis_url: str | None) -> None:
        self._caches: dict[str, LocalCache] = {}
        self._redis_url = redis_url
        self._subscribed = False
        self._listener: threading.Thread | None = None
        self._stopped = threading.Event()
        self._start_lock = threading.Lock()

    def register(self, name: str, ttl: float, maxsize: int, local: bool = False) -> LocalCache:
        """Create the cache ``name`` (once, from a subsystem's ``init_app``).

        ``local`` caches hold what only this process knows (nothing elsewhere
        invalidates them), so they keep entries even while not subscribed.
        """
        if name in self._caches:
            raise ValueError(f"cache {name!r} is already registered")
        storing = (lambda: True) if local else self.storing
        self._caches[name] = LocalCache(name, ttl, maxsize, storing=storing)
        return self._caches[name]

    def __getitem__(self, name: str) -> LocalCache:
        if self._redis_url and self._listener is None:
            self._listen()
        return self._caches[name]

    def storing(self) -> bool:
        """Whether entries may be kept: always without Redis, else while subscribed."""
        return not self._redis_url or self._subscribed

    @property
    def subscribed(self) -> bool:
        return self._subscribed

    def invalidate(self, name: str, key: Any) -> None:
        """Drop ``key`` from cache ``name`` here at once and in every subscribed process."""
        self._caches[name].invalidate(key)
        self._publish(name, str(key))

    def clear(self, name: str) -> None:
        """Empty cache ``name`` here at once and in every subscribed process."""
        self._caches[name].clear()
        self._publish(name, None)

    def close(self) -> None:
        """Stop listening (the subscriber thread ends within a second)."""
        self._stopped.set()

    def _publish(self, name: str, key: str | None) -> None:
        client = redis_client() if self._redis_url else None
        if client is None:
            return
        try:
            client.publish(CHANNEL, json.dumps({"cache": name, "key": key}))
        except redis.RedisError as exc:
            # The change is committed; other processes see it when their entry expires.
            log.warning("cache invalidation of %s not published (%s)", name, exc)

    def _listen(self) -> None:
        with self._start_lock:
            if self._listener is not None:
                return
            self._listener = threading.Thread(
                target=_follow,
                args=(weakref.ref(self), redis_client(), self._stopped),
                name="authsvc-cache-invalidation",
                daemon=True,
            )
            self._listener.start()

    def _apply(self, message: dict) -> None:
        if message["type"] == "subscribe":
            self._drop_all()  # anything published before now may have been missed
            self._subscribed = True
        elif message["type"] == "message":
            body = json.loads(message["data"])
            cache = self._caches.get(body.get("cache"))
            if cache is not None and body.get("key") is None:
                cache.clear()
            elif cache is not None:
                cache.invalidate(body["key"])

    def _unsubscribed(self) -> None:
        self._subscribed = False
        self._drop_all()

    def _drop_all(self) -> None:
        for cache in self._caches.values():
            cache.clear()

    def _forked(self) -> None:
        # Threads do not survive a fork: the child listens for itself, from scratch.
        self._listener, self._stopped = None, threading.Event()
        self._start_lock = threading.Lock()
        self._subscribed = False
        for cache in self._caches.values():
            cache._forked()


def _follow(ref: weakref.ref, client: redis.Redis, stopped: threading.Event) -> None:
    """The subscriber thread: apply invalidations until stopped or the app is gone."""
    failures = 0
    while not stopped.is_set():
        pubsub = client.pubsub()
        try:
            pubsub.subscribe(CHANNEL)
            while not stopped.is_set():
                message = pubsub.get_message(timeout=1.0)
                caches = ref()
                if caches is None:
                    return
                if message is not None:
                    caches._apply(message)
                    failures = 0
                del caches  # hold no reference while waiting, so the app can be collected
        except (redis.RedisError, OSError) as exc:
            if failures == 0:
                log.warning("cache invalidations unavailable (%s); entries expire by TTL", exc)
            failures += 1
        finally:
            pubsub.close()
            caches = ref()
            if caches is not None:
                caches._unsubscribed()
            del caches
        stopped.wait(min(RETRY_SECONDS * 2 ** min(failures, 5), 30))


_registries: weakref.WeakSet[Caches] = weakref.WeakSet()


def _after_fork() -> None:
    for registry in list(_registries):
        registry._forked()


os.register_at_fork(after_in_child=_after_fork)


def init_app(app: Flask) -> None:
    """Give ``app`` its cache registry (subsystems then ``register`` their caches)."""
    registry = Caches(app.config.get("REDIS_URL"))
    _registries.add(registry)
    app.extensions["authsvc.cache"] = registry


def register(
    app: Flask, name: str, ttl_setting: str, maxsize: int, local: bool = False
) -> LocalCache:
    """Register cache ``name`` on ``app`` with the TTL of config setting ``ttl_setting``."""
    registry = app.extensions["authsvc.cache"]
    return registry.register(name, app.config[ttl_setting], maxsize, local=local)


#: The current app's registry: ``caches["apikeys"].get(...)``, ``caches.invalidate(...)``.
caches: Caches = LocalProxy(lambda: current_app.extensions["authsvc.cache"])  # type: ignore[assignment]
