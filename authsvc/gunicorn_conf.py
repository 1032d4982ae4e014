"""gunicorn hooks used by ``authsvc serve``/``authsvc up``: the embedded worker.

With ``EMBEDDED_WORKER`` on (the default on SQLite), every web process runs
the background worker in a thread, so webhooks are delivered with no second
process to start. The thread starts after the process has forked (threads do
not survive a fork) and stops, finishing deliveries in flight, when gunicorn
retires the process.
"""

from __future__ import annotations

_embedded = None


def post_worker_init(worker) -> None:
    global _embedded
    from authsvc.worker import start_embedded
    from authsvc.wsgi import app

    _embedded = start_embedded(app)


def worker_exit(server, worker) -> None:
    from authsvc.worker import stop_embedded

    stop_embedded(_embedded)
