"""``authsvc serve``: gunicorn's workers share one metrics view, its files go at exit, and
``AUTHSVC_METRICS_PORT`` moves the view to a port of its own."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

REQUESTS = 30
# Generous: on a shared, busy machine building the app alone can take a minute.
START_SECONDS = 150


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
        return response.read()


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {START_SECONDS} seconds")


def _readyz_count(body: bytes) -> float:
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if (
                sample.name == "authsvc_http_request_duration_seconds_count"
                and sample.labels["route"] == "/readyz"
            ):
                return sample.value
    return 0.0


def _environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {
        **os.environ,
        "AUTHSVC_INSTANCE_PATH": str(tmp_path),
        "AUTHSVC_LOG_LEVEL": "WARNING",
        "AUTHSVC_METRICS_DIR": str(tmp_path / "metrics"),
        "AUTHSVC_EMBEDDED_WORKER": "false",
        **{f"AUTHSVC_{name}": value for name, value in settings.items()},
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


CLI = [sys.executable, "-m", "authsvc.cli"]


@pytest.fixture(scope="module")
def initialised(tmp_path_factory) -> Path:
    """An instance folder after ``authsvc init`` (its database), run once for the module."""
    folder = tmp_path_factory.mktemp("initialised")
    subprocess.run([*CLI, "init"], env=_environment(folder), capture_output=True, check=True)
    return folder


def _serve(tmp_path: Path, env: dict[str, str], initialised: Path) -> tuple[subprocess.Popen, str]:
    """``authsvc serve`` with two workers on a copy of the initialised instance."""
    shutil.copytree(initialised, tmp_path, dirs_exist_ok=True)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - our own command line
            [*CLI, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    _wait_until_up(f"{base}/healthz", server, log)
    return server, base


def _stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=30)


def test_every_worker_counts_into_one_view_and_the_files_go_at_exit(tmp_path, initialised):
    server, base = _serve(tmp_path, _environment(tmp_path), initialised)
    try:
        [directory] = list((tmp_path / "metrics").iterdir())
        for _ in range(REQUESTS):
            _get(f"{base}/readyz")
        # Whichever worker answers a scrape, it reports every worker's requests.
        counts = {_readyz_count(_get(f"{base}/metrics")) for _ in range(6)}
        assert counts == {REQUESTS}
        assert list(directory.glob("histogram_*.db"))
    finally:
        _stop(server)
    assert not directory.exists()


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_with_a_metrics_port_the_main_port_has_no_metrics(tmp_path, initialised):
    """Every worker's requests and the backlogs on the metrics port; a 404 on the main one."""
    metrics_port = _free_port()
    env = _environment(tmp_path, METRICS_PORT=str(metrics_port), METRICS_ADDRESS="127.0.0.1")
    server, base = _serve(tmp_path, env, initialised)
    scrape = f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        _wait_until_up(scrape, server, tmp_path / "serve.log")
        for _ in range(REQUESTS):
            _get(f"{base}/readyz")
        assert _status(f"{base}/metrics") == 404
        body = _get(scrape)
        assert _readyz_count(body) == REQUESTS
        assert b"authsvc_webhook_queue_depth" in body  # read from the database at scrape time
    finally:
        _stop(server)
    with pytest.raises(OSError):  # the exporter left with gunicorn
        _get(scrape)
