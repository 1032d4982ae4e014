"""Per-process copies of the denylist, so that token checks need no round trip.

Rationale: ``/auth/validate`` runs for every request a reverse proxy forwards,
and the denylist check was its only remote call. Each process therefore keeps
the denied ids (with their expiry) in memory and answers from there, as long
as its copy is known to be current; otherwise it says "don't know" and the
caller asks the store directly. Revocation in the revoking process is
immediate (the entry is added locally as it is written); other processes see
it within a bound:

* **Redis**: ``deny`` also publishes the ids on ``CHANNEL``; a subscriber
  thread per process applies them as they arrive (milliseconds). The copy
  counts as current only while the subscriber has heard the answer to a PING
  it sent within the last ``REDIS_STALE_SECONDS`` (Redis answers a subscriber
  in order, so every message published before that PING has been applied).
  After a reconnect, the whole denylist is reloaded with SCAN before the copy
  is trusted again.
* **Database**: the copy is refreshed on use, at most every
  ``AUTH_DENYLIST_POLL_SECONDS``, by a query for rows created since the last
  refresh (minus ``DB_OVERLAP_SECONDS``, for transactions that committed late),
  and reloaded whole every ``DB_FULL_RELOAD_SECONDS``.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from datetime import timedelta

import sqlalchemy as sa

log = logging.getLogger(__name__)

CHANNEL = "authsvc:denylist"
PREFIX = "authsvc:deny:"
REDIS_PING_SECONDS = 1.0
REDIS_STALE_SECONDS = 3.0
REDIS_RETRY_SECONDS = 1.0
PRUNE_SECONDS = 60
DB_OVERLAP_SECONDS = 10
DB_FULL_RELOAD_SECONDS = 300


class Mirror:
    """Denied id -> expiry (epoch seconds); ``check`` answers None when not current."""

    def __init__(self) -> None:
        self.entries: dict[object, float] = {}
        # Writers (the subscriber thread, a revoking request, a refresh) take the
        # lock; readers only look a key up, which needs none.
        self.lock = threading.RLock()

    def add(self, identifiers, until: float) -> None:
        with self.lock:
            for ident in identifiers:
                if ident is not None and self.entries.get(ident, 0) < until:
                    self.entries[ident] = until

    def _denied(self, identifiers) -> bool:
        now = time.time()
        return any(self.entries.get(ident, 0) > now for ident in identifiers)

    def _prune(self) -> None:
        now = time.time()
        with self.lock:
            self.entries = {ident: until for ident, until in self.entries.items() if until > now}


class RedisMirror(Mirror):
    """The Redis denylist, kept current by a pub/sub subscriber thread."""

    def __init__(self, client) -> None:
        super().__init__()
        self.client = client
        self.last_pong = float("-inf")
        self.thread: threading.Thread | None = None
        self.pid = 0
        self.stopped = threading.Event()

    def check(self, identifiers) -> bool | None:
        """True/False from memory, or None when the copy is not known to be current."""
        if self.pid != os.getpid():
            self._start()
            return None
        if time.monotonic() - self.last_pong > REDIS_STALE_SECONDS:
            return None
        return self._denied(identifiers)

    def _start(self) -> None:
        # Lazily, in the process that serves: threads do not survive a fork.
        with self.lock:
            if self.pid == os.getpid():
                return
            self.pid, self.last_pong = os.getpid(), float("-inf")
            self.entries = {}
            self.thread = threading.Thread(target=self._run, name="authsvc-denylist", daemon=True)
            self.thread.start()

    def stop(self) -> None:
        self.stopped.set()

    def _run(self) -> None:
        failures = 0
        while not self.stopped.is_set():
            try:
                self._follow()
            except Exception as exc:  # noqa: BLE001 - any failure: fall back, reconnect, reload
                if self.last_pong > float("-inf"):
                    failures = 0  # it was working: retry soon
                if failures == 0:
                    log.warning("denylist subscription lost (%s); checking Redis directly", exc)
                failures += 1
            self.last_pong = float("-inf")
            self.stopped.wait(min(REDIS_RETRY_SECONDS * 2 ** min(failures, 5), 30))

    def _follow(self) -> None:
        pubsub = self.client.pubsub()
        try:
            pubsub.subscribe(CHANNEL)
            self._await(pubsub, "subscribe")
            # Subscribed before loading: nothing denied from here on can be missed.
            self._reload()
            pinged = pruned = self._ping(pubsub)
            while not self.stopped.is_set():
                message = pubsub.get_message(timeout=REDIS_PING_SECONDS)
                if message is not None:
                    self._handle(message, pinged)
                if time.monotonic() - pinged >= REDIS_PING_SECONDS:
                    pinged = self._ping(pubsub)
                if pinged - pruned >= PRUNE_SECONDS:
                    with self.lock:
                        self._prune()
                    pruned = pinged
        finally:
            pubsub.close()

    def _ping(self, pubsub) -> float:
        pubsub.ping()
        return time.monotonic()

    def _await(self, pubsub, kind: str) -> None:
        deadline = time.monotonic() + REDIS_STALE_SECONDS
        while time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.5)
            if message is not None and message["type"] == kind:
                return
        raise TimeoutError(f"no {kind} confirmation from Redis")

    def _handle(self, message: dict, pinged: float) -> None:
        if message["type"] == "pong":
            # Everything published before that PING has been applied.
            self.last_pong = pinged
        elif message["type"] == "message":
            until, *identifiers = message["data"].decode().split()
            self.add(identifiers, float(until))

    def _reload(self) -> None:
        loaded: dict[object, float] = {}
        now = time.time()
        keys = list(self.client.scan_iter(match=PREFIX + "*", count=1000))
        pipe = self.client.pipeline(transaction=False)
        for key in keys:
            pipe.pttl(key)
        for key, ttl in zip(keys, pipe.execute() if keys else [], strict=True):
            if ttl and ttl > 0:
                loaded[key.decode()[len(PREFIX) :]] = now + ttl / 1000
        with self.lock:
            for ident, until in self.entries.items():
                loaded[ident] = max(until, loaded.get(ident, 0))
            self.entries = loaded


class DatabaseMirror(Mirror):
    """The ``revoked_tokens`` table, refreshed on use at most every ``poll_seconds``."""

    def __init__(self, engine, table: sa.Table, poll_seconds: float) -> None:
        super().__init__()
        self.engine, self.table, self.poll_seconds = engine, table, poll_seconds
        self.synced = float("-inf")
        self.full_reload = float("-inf")
        self.watermark = None  # the newest created_at seen

    def check(self, identifiers) -> bool | None:
        now = time.monotonic()
        if now - self.synced >= self.poll_seconds:
            with self.lock:
                if now - self.synced >= self.poll_seconds:
                    self._sync(now)
        return self._denied(identifiers)

    def _sync(self, now: float) -> None:
        from authsvc.db import utcnow
        from authsvc.tenancy import platform_scope

        t = self.table
        statement = sa.select(t.c.id, t.c.expires_at, t.c.created_at)
        full = self.watermark is None or now - self.full_reload >= DB_FULL_RELOAD_SECONDS
        if full:
            statement = statement.where(t.c.expires_at > utcnow())
        else:
            statement = statement.where(
                t.c.created_at >= self.watermark - timedelta(seconds=DB_OVERLAP_SECONDS)
            )
        # Every tenant's entries, whichever request refreshes the copy.
        with platform_scope(), self.engine.connect() as conn:
            rows = conn.execute(statement).all()
        if full:
            fresh = {row.id: row.expires_at.timestamp() for row in rows}
            for ident, until in self.entries.items():
                fresh[ident] = max(until, fresh.get(ident, 0))
            self.entries = fresh
            self.full_reload = now
            self._prune()
        else:
            for row in rows:
                self.add([row.id], row.expires_at.timestamp())
        newest = max((row.created_at for row in rows if row.created_at), default=None)
        if newest is not None and (self.watermark is None or newest > self.watermark):
            self.watermark = newest
        elif self.watermark is None:
            self.watermark = utcnow()
        self.synced = now


def as_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
