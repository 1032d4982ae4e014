"""The background worker: runs every registered job (see :mod:`authsvc.jobs`).

Rationale: one loop serves every subsystem. A job does one bounded batch and
says how many items it handled; a job that found work runs again at once,
otherwise it sleeps until its interval passes or the worker is woken. Wake-ups
come from PostgreSQL ``LISTEN authsvc_events`` (workers in other processes or
machines, notified when a transaction that emitted events commits) and from
this process (the embedded worker, and delivery threads freeing a slot).

``authsvc worker`` runs it as its own process and stops gracefully on
SIGTERM/SIGINT: no new work is claimed, work in flight is finished (jobs'
``stop`` hooks). In the default embedded mode (``EMBEDDED_WORKER``, on for
SQLite) each web server process runs it in a daemon thread, started by
``authsvc serve``/``authsvc up`` through the gunicorn hooks, never by
``create_app``.
"""

from __future__ import annotations

import logging
import select
import threading
import time

from flask import Flask

from authsvc.jobs import Job, registry

log = logging.getLogger(__name__)
EXTENSION = "authsvc.worker"
CHANNEL = "authsvc_events"
# Jobs with intervals up to this are run on a wake-up; slower housekeeping keeps its schedule.
WAKEABLE_INTERVAL_SECONDS = 60


def wake(app: Flask, job: str | None = None) -> None:
    """Wake every worker running in this process for ``app`` (cheap; safe from any thread).

    With ``job``, only that job is run at once (e.g. the delivery job when a slot frees
    up); otherwise every job with a short interval.
    """
    for running in list(app.extensions.get(EXTENSION, ())):
        running.wake(job)


class Worker:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.jobs: list[Job] = registry(app).jobs()
        self._wake = threading.Event()
        self._woken: set[str | None] = set()
        self._stop = threading.Event()
        self._next_run = {job.name: 0.0 for job in self.jobs}

    def wake(self, job: str | None = None) -> None:
        self._woken.add(job)
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_once(self) -> int:
        """Run every job that is due; returns how many items they handled."""
        handled = 0
        for job in self.jobs:
            if self._stop.is_set():
                break
            now = time.monotonic()
            if self._next_run[job.name] > now:
                continue
            try:
                count = job.func(self.app)
            except Exception:
                log.exception("job %s failed; retrying after its interval", job.name)
                count = 0
            handled += count
            self._next_run[job.name] = now if count else now + job.interval_seconds
        return handled

    def in_flight(self) -> int:
        return sum(job.in_flight(self.app) for job in self.jobs if job.in_flight)

    def _sleep(self) -> None:
        now = time.monotonic()
        timeout = max(0.0, min(self._next_run.values(), default=now + 1) - now)
        if self._wake.wait(timeout):
            self._wake.clear()
            woken, self._woken = self._woken, set()
            for job in self.jobs:
                if job.name in woken or (
                    None in woken and job.interval_seconds <= WAKEABLE_INTERVAL_SECONDS
                ):
                    self._next_run[job.name] = 0.0

    def run_forever(self) -> None:
        """Loop until :meth:`stop`; then let jobs finish or release work in flight."""
        registry(self.app).frozen = True
        self.app.extensions.setdefault(EXTENSION, set()).add(self)
        listener = self._start_listener()
        try:
            while not self._stop.is_set():
                if self.run_once() == 0:
                    self._sleep()
        finally:
            self.app.extensions[EXTENSION].discard(self)
            self._stop.set()
            for job in self.jobs:
                if job.stop:
                    job.stop(self.app)
            if listener is not None:
                listener.join(timeout=5)

    def run_until_idle(self, timeout: float = 30.0) -> None:
        """Run jobs until none has work and nothing is in flight (tests, benchmarks)."""
        self.app.extensions.setdefault(EXTENSION, set()).add(self)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self._next_run = dict.fromkeys(self._next_run, 0.0)
                # Read before running: work finishing during run_once may have queued more.
                busy = self.in_flight()
                if self.run_once() == 0 and busy == 0:
                    return
                if self.in_flight():
                    self._wake.wait(0.05)
                    self._wake.clear()
            raise TimeoutError(f"worker still busy after {timeout} s")
        finally:
            self.app.extensions[EXTENSION].discard(self)
            for job in self.jobs:
                if job.stop:
                    job.stop(self.app)

    def _start_listener(self) -> threading.Thread | None:
        with self.app.app_context():
            from authsvc.extensions import db

            url = db.engine.url
        if url.get_backend_name() != "postgresql":
            return None
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        thread = threading.Thread(target=self._listen, args=(dsn,), name="worker-listen")
        thread.daemon = True
        thread.start()
        return thread

    def _listen(self, dsn: str) -> None:
        """Wake the loop on NOTIFY; reconnect after errors (polling covers the gap)."""
        import psycopg2

        while not self._stop.is_set():
            try:
                conn = psycopg2.connect(dsn)
                try:
                    conn.autocommit = True
                    conn.cursor().execute(f"LISTEN {CHANNEL}")
                    self.wake()  # Events may have been committed while we were not listening.
                    while not self._stop.is_set():
                        if select.select([conn], [], [], 0.5)[0]:
                            conn.poll()
                            if conn.notifies:
                                conn.notifies.clear()
                                self.wake()
                finally:
                    conn.close()
            except psycopg2.Error as exc:
                log.warning("LISTEN connection failed (%s); polling until it is back", exc)
                self._stop.wait(self.app.config["WEBHOOKS_POLL_SECONDS"])


def start_embedded(app: Flask) -> tuple[Worker, threading.Thread] | None:
    """Start the worker in a daemon thread of this process when ``EMBEDDED_WORKER`` is on."""
    if not app.config["EMBEDDED_WORKER"]:
        return None
    running = Worker(app)
    thread = threading.Thread(target=running.run_forever, name="embedded-worker", daemon=True)
    thread.start()
    log.info("embedded worker started")
    return running, thread


def stop_embedded(handle: tuple[Worker, threading.Thread] | None, timeout: float = 30.0) -> None:
    if handle is not None:
        running, thread = handle
        running.stop()
        thread.join(timeout)
