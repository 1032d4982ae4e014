"""The web tier's metrics on a port of their own (``AUTHSVC_METRICS_PORT``), beside gunicorn.

Rationale: gunicorn's master serves no requests and must not load the app (its
forked workers would inherit its database connections), so a small process of
its own builds the app, sums every worker's metric files with the multiprocess
collector and reads the backlogs, exactly as ``/metrics`` would. gunicorn's
hooks start it when the server is ready and stop it at exit; it also leaves if
its parent goes away without stopping it.
"""

from __future__ import annotations

import os
import signal
import threading

from prometheus_client import start_http_server

from authsvc import create_app
from authsvc.metrics import registry


def main() -> None:
    """Serve the metrics until SIGTERM, SIGINT or the parent's exit."""
    app = create_app()
    parent, stop = os.getppid(), threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    start_http_server(
        app.config["METRICS_PORT"], addr=app.config["METRICS_ADDRESS"], registry=registry(app)
    )
    while not stop.wait(1) and os.getppid() == parent:
        pass


if __name__ == "__main__":
    main()
