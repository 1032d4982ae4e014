"""The worker's delivery pool: a thread per concurrent send, one recorder, one HTTP client.

The ``webhooks.deliver`` job claims only as many deliveries as the pool has
free slots and hands them over, so nothing is claimed that waits in a queue.
Send threads only send; the recorder thread writes every result that has
finished meanwhile in one transaction (:mod:`authsvc.webhooks.delivery.outcomes`), so
under load many results share a statement and a commit, while a lone result
is written at once. A slot stays taken until its result is recorded (the
lease is held until then); after each batch the recorder refills the slots
itself (the worker loop's delivery job does too, on wake-ups and polls).
Stopping the pool waits for sends in flight (bounded by the send timeout),
records their results and never starts new ones.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from flask import Flask

from authsvc import worker
from authsvc.webhooks.delivery import attempt, sender
from authsvc.webhooks.delivery import claims as delivery

log = logging.getLogger(__name__)
EXTENSION = "authsvc.webhooks"
JOB = "webhooks.deliver"


class DeliveryPool:
    def __init__(self, app: Flask) -> None:
        config = app.config
        self.app = app
        self.size = config["WEBHOOKS_CONCURRENCY"]
        # The pid keeps forked gunicorn workers apart; the suffix, pools of one process.
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.client = sender.make_client(
            config["WEBHOOKS_CONNECT_TIMEOUT_SECONDS"],
            config["WEBHOOKS_TIMEOUT_SECONDS"],
            self.size,
        )
        self._executor = ThreadPoolExecutor(self.size, thread_name_prefix="webhook-send")
        self._lock = threading.Lock()
        # Claims one at a time (the worker loop's job and the recorder both refill).
        self._claiming = threading.Lock()
        self._by_endpoint: Counter[uuid.UUID] = Counter()
        self._finished: list[tuple[delivery.Claimed, sender.Outcome]] = []
        self._result_ready = threading.Condition(self._lock)
        self._draining = False
        self._recorder_claiming = 0
        self.closed = False
        self._recorder = threading.Thread(
            target=self._record_loop, name="webhook-record", daemon=True
        )
        self._recorder.start()

    def in_flight(self) -> int:
        """Attempts started and not yet recorded, plus one while the recorder claims more.

        So a drain that sees nothing in flight cannot miss deliveries the recorder is
        about to start.
        """
        with self._lock:
            return sum(self._by_endpoint.values()) + self._recorder_claiming

    def _started(self) -> int:
        with self._lock:
            return sum(self._by_endpoint.values())

    def busy(self) -> dict[uuid.UUID, int]:
        with self._lock:
            return {endpoint: n for endpoint, n in self._by_endpoint.items() if n}

    def refill(self) -> int:
        """Claim due deliveries into the free slots and start them; returns how many."""
        with self._claiming:
            busy = self._started()
            free = self.size - busy
            # A claim costs a query whatever its size: while more than half the slots
            # are busy, wait for more of them to free up instead of claiming one at a time.
            if self.closed or free <= 0 or (busy and free < self.size // 2):
                return 0
            rows = delivery.claim(self.app, self.worker_id, free, self.busy())
            with self._lock:
                # Under the lock that close() takes first: nothing starts after it.
                if not self.closed:
                    for row in rows:
                        self._by_endpoint[row.endpoint_id] += 1
                        self._executor.submit(self._run, row)
                    return len(rows)
            delivery.release(self.app, self.worker_id, rows)
            return 0

    def _run(self, claimed: delivery.Claimed) -> None:
        try:
            outcome = attempt.send(self.app, self.client, claimed)
        except Exception:
            # The lease stays; the delivery is retried when it expires.
            log.exception("delivery %s: attempt failed unexpectedly", claimed.id)
            self._release_slots([claimed])
            return
        with self._lock:
            self._finished.append((claimed, outcome))
            self._result_ready.notify()

    def _record_loop(self) -> None:
        while True:
            with self._lock:
                while not self._finished and not self._draining:
                    self._result_ready.wait()
                if not self._finished:
                    return
                batch, self._finished = self._finished, []
            try:
                attempt.record(self.app, self.worker_id, batch)
            except Exception:
                # The leases stay; these deliveries are retried when they expire.
                log.exception("recording %d webhook attempts failed", len(batch))
            # Refill here rather than through the worker loop, which may be busy
            # with another job (a fan-out batch) while the slots stand empty.
            self._release_slots([claimed for claimed, _outcome in batch], refilling=True)
            try:
                self.refill()
            except Exception:
                log.exception("claiming webhook deliveries failed; the worker loop retries")
                worker.wake(self.app, JOB)
            finally:
                with self._lock:
                    self._recorder_claiming = 0

    def _release_slots(self, rows: list[delivery.Claimed], refilling: bool = False) -> None:
        with self._lock:
            for claimed in rows:
                self._by_endpoint[claimed.endpoint_id] -= 1
            self._recorder_claiming = int(refilling)
        if not refilling:
            worker.wake(self.app, JOB)

    def close(self) -> None:
        with self._lock:
            self.closed = True
        self._executor.shutdown(wait=True)
        with self._lock:
            self._draining = True
            self._result_ready.notify()
        self._recorder.join()
        self.client.close()


def _pool(app: Flask, create: bool = True) -> DeliveryPool | None:
    state = app.extensions[EXTENSION]
    with state["lock"]:
        if state["pool"] is None and create:
            state["pool"] = DeliveryPool(app)
        return state["pool"]


def deliver(app: Flask) -> int:
    """Job: claim due deliveries into the pool's free slots; returns how many it started."""
    return _pool(app).refill()


def in_flight(app: Flask) -> int:
    pool = _pool(app, create=False)
    return pool.in_flight() if pool else 0


def stop(app: Flask) -> None:
    """Finish the attempts in flight, then drop the pool (a later worker makes a new one)."""
    state = app.extensions[EXTENSION]
    with state["lock"]:
        pool, state["pool"] = state["pool"], None
    if pool is not None:
        pool.close()
