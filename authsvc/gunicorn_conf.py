"""gunicorn hooks used by ``authsvc serve``/``authsvc up``: the embedded worker.

With ``EMBEDDED_WORKER`` on (the default on SQLite), every web process runs
the background worker in a thread, so webhooks are delivered with no second
process to start. The thread starts after the process has forked (threads do
not survive a fork) and stops, finishing deliveries in flight, when gunicorn
retires the process.

With ``PROMETHEUS_MULTIPROC_DIR`` set (``authsvc serve`` sets it), a worker
that exits is marked dead, so its live gauges stop counting, and the metric
files are removed when gunicorn stops. With ``AUTHSVC_METRICS_PORT`` set, the
master starts the metrics exporter (:mod:`authsvc.metrics.exporter`) once it is
ready and stops it at exit.
"""

from __future__ import annotations

import contextlib
import glob
import os
import subprocess
import sys

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

_embedded = None
_exporter = None


def when_ready(server) -> None:
    global _exporter
    # Read from the environment, not the app: the master never loads the app, and
    # importing the metrics would create files under the master's pid.
    if int(os.environ.get("AUTHSVC_METRICS_PORT") or 0) > 0:
        command = [sys.executable, "-m", "authsvc.metrics.exporter"]
        _exporter = subprocess.Popen(command)  # noqa: S603 - our own module


def post_worker_init(worker) -> None:
    global _embedded
    from authsvc.worker import start_embedded
    from authsvc.wsgi import app

    _embedded = start_embedded(app)


def worker_exit(server, worker) -> None:
    from authsvc.worker import stop_embedded

    stop_embedded(_embedded)


def child_exit(server, worker) -> None:
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    if _exporter is not None:
        _exporter.terminate()
        _exporter.wait(timeout=10)
    directory = os.environ.get(MULTIPROC_ENV)
    if not directory:
        return
    # Only prometheus-client's files: the directory may be one the operator gave.
    for path in glob.glob(os.path.join(directory, "*.db")):
        os.remove(path)
    # Not empty: something else lives there too, and stays.
    with contextlib.suppress(OSError):
        os.rmdir(directory)
