"""Prometheus metrics at ``/metrics``: the app's registry, the endpoint and its token.

Rationale: under gunicorn each worker process counts on its own, so ``authsvc
serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh directory where every
process writes its values, and a scrape (answered by whichever worker) sums
them with prometheus-client's ``MultiProcessCollector``. Without that variable
(``authsvc serve --dev``, tests, one process) the registry holds the
instruments themselves. Backlogs are read from the database at scrape time
(:mod:`authsvc.metrics.backlog`). With ``METRICS_TOKEN`` set, a scrape must
send it as a bearer token; with ``METRICS_PORT`` set, the same registry is served
on that port instead (:mod:`authsvc.metrics.exporter`).
"""

from __future__ import annotations

import hmac
import os

from flask import Blueprint, Flask, Response, current_app
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event
from sqlalchemy.pool import Pool

from authsvc.errors import AuthenticationFailed
from authsvc.metrics import instruments
from authsvc.metrics.backlog import BacklogCollector
from authsvc.tokens.bearer import bearer_token

EXTENSION = "authsvc.metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
bp = Blueprint("metrics", __name__)


def build_registry(app: Flask) -> CollectorRegistry:
    """The registry a scrape of ``app`` reads: every process's instruments and the backlogs."""
    registry = CollectorRegistry()
    directory = os.environ.get(MULTIPROC_ENV)
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        for instrument in instruments.INSTRUMENTS:
            registry.register(instrument)
    registry.register(BacklogCollector(app))
    return registry


def registry(app: Flask) -> CollectorRegistry:
    return app.extensions[EXTENSION]


def _checked_out(*_args) -> None:
    instruments.db_connections_in_use.inc()


def _checked_in(*_args) -> None:
    instruments.db_connections_in_use.dec()


def _count_pool_checkouts() -> None:
    # Listening on the Pool class counts every engine's pool in this process once.
    if not event.contains(Pool, "checkout", _checked_out):
        event.listen(Pool, "checkout", _checked_out)
        event.listen(Pool, "checkin", _checked_in)


def _authorized() -> bool:
    expected = current_app.config["METRICS_TOKEN"]
    if not expected:
        return True
    given = bearer_token()
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


@bp.get("/metrics")
def scrape():
    """The Prometheus text exposition of every series."""
    if not _authorized():
        raise AuthenticationFailed("A valid metrics token is required.", scheme="Bearer")
    body = generate_latest(registry(current_app))
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = build_registry(app)
    _count_pool_checkouts()
    # With a port of its own (authsvc.metrics.exporter), the main port has no /metrics.
    if not app.config["METRICS_PORT"]:
        app.register_blueprint(bp)
