"""``authsvc serve``, ``up`` and ``worker``: run the web processes and the background jobs."""

from __future__ import annotations

import os
import signal
import sys
import tempfile

import click
from flask import Flask, current_app, has_app_context
from flask.cli import ScriptInfo

from authsvc import config
from authsvc.cli.base import command, emit, root
from authsvc.cli.setup import ensure_demo, print_init, upgrade_schema
from authsvc.metrics import MULTIPROC_ENV


def _default_base_url(host: str, port: int) -> None:
    """Without AUTHSVC_BASE_URL, links (emails, token issuer) point at where we serve."""
    if os.environ.get("AUTHSVC_BASE_URL"):
        return
    shown = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - only a display
    url = f"http://{shown}:{port}"
    os.environ["AUTHSVC_BASE_URL"] = url  # inherited by the gunicorn workers
    if has_app_context():  # ``up`` prints the demo's links with it
        current_app.config["BASE_URL"] = url


def _metrics_directory() -> str:
    """A fresh directory where this server's processes write their metrics.

    gunicorn's workers each count on their own; prometheus-client sums their files
    at scrape time (see :mod:`authsvc.metrics`). A fresh directory per start keeps
    a previous run's counters out; gunicorn's exit hook removes the files.
    """
    parent = os.environ.get("AUTHSVC_METRICS_DIR") or None
    if parent:
        os.makedirs(parent, exist_ok=True)
    path = tempfile.mkdtemp(prefix="authsvc-metrics-", dir=parent)
    os.environ[MULTIPROC_ENV] = path  # inherited by gunicorn and its workers
    return path


def _loaded_app() -> Flask:
    """The app object itself (not the ``current_app`` proxy), for worker threads that
    outlive the command's context: Flask's CLI loaded it once and hands it back."""
    return click.get_current_context().ensure_object(ScriptInfo).load_app()


def _check_settings() -> None:
    """Refuse bad AUTHSVC_* settings here, in one line, not in every gunicorn worker."""
    try:
        config.load()
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def serve(host: str, port: int, workers: int | None, dev: bool) -> None:
    """Replace this process with gunicorn, or with ``dev`` run Flask's reloading server."""
    _default_base_url(host, port)
    _check_settings()
    if dev:
        from werkzeug.serving import run_simple

        app = _loaded_app()
        app.debug = True
        # The reloader's parent process only watches files; the serving child runs the worker.
        if os.environ.get("WERKZEUG_RUN_MAIN") == "true":
            from authsvc.worker import start_embedded

            start_embedded(app)
        # werkzeug itself: Flask's app.run() refuses to run inside a CLI command.
        run_simple(host, port, app, use_reloader=True, use_debugger=True, threaded=True)
        return
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers or int(os.environ.get("AUTHSVC_WEB_WORKERS", "2"))),
        # Starts the embedded background worker in each web process (EMBEDDED_WORKER).
        "--config",
        "python:authsvc.gunicorn_conf",
        # authsvc logs each request itself, with its request id; no second access log.
        "authsvc.wsgi:app",
    ]
    _metrics_directory()
    click.echo(f"==> Serving on http://{host}:{port} (gunicorn, {args[6]} workers)", err=True)
    os.execv(sys.executable, args)  # noqa: S606 - replaces this process with gunicorn


_serve_options = [
    click.option("--host", default="127.0.0.1", show_default=True),
    click.option("--port", default=8000, show_default=True, type=int),
    click.option("--workers", type=int, help="gunicorn workers (default AUTHSVC_WEB_WORKERS or 2)"),
    click.option("--dev", is_flag=True, help="Flask's reloading development server."),
]


def _with_serve_options(func):
    for option in reversed(_serve_options):
        func = option(func)
    return func


# Without the app: this process only checks the settings and becomes gunicorn, whose
# workers build the app; building it here too cost each start about 3 s of CPU.
@command(root, "serve", app_context=False)
@_with_serve_options
def serve_command(as_json: bool, host: str, port: int, workers, dev: bool) -> None:
    """Serve the platform (gunicorn; --dev for the reloader)."""
    serve(host, port, workers, dev)


@command(root, "up")
@_with_serve_options
def up_command(as_json: bool, host: str, port: int, workers, dev: bool) -> None:
    """Initialise the embedded platform with demo data, print the logins, and serve it."""
    _default_base_url(host, port)
    result = {"schema": upgrade_schema(), "demo": ensure_demo()}
    emit(result, as_json, print_init)
    serve(host, port, workers, dev)


@command(root, "worker")
def worker_command(as_json: bool) -> None:
    """Run the background jobs (webhook delivery, pruning, ...) until SIGTERM or SIGINT.

    On either signal the worker stops claiming work and finishes what is in flight.
    """
    from authsvc.jobs import registry
    from authsvc.worker import Worker

    app = _loaded_app()
    running = Worker(app)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: running.stop())
    names = ", ".join(job.name for job in registry(app).jobs())
    port = app.config["WORKER_METRICS_PORT"]
    if port:
        from prometheus_client import start_http_server

        from authsvc import metrics

        # The worker serves no requests: its delivery metrics get a port of their own.
        start_http_server(
            port, addr=app.config["WORKER_METRICS_ADDRESS"], registry=metrics.registry(app)
        )
    click.echo(f"==> Worker started (pid {os.getpid()}): {names}", err=True)
    running.run_forever()
    click.echo("==> Worker stopped", err=True)
