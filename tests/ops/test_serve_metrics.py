"""``authsvc serve``: gunicorn's workers share one metrics view, and its files go at exit."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

REQUESTS = 30


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own server
        return response.read()


def _wait_until_up(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, log.read_text()
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("authsvc serve did not answer within 60 seconds")


def _readyz_count(body: bytes) -> float:
    for family in text_string_to_metric_families(body.decode()):
        for sample in family.samples:
            if (
                sample.name == "authsvc_http_request_duration_seconds_count"
                and sample.labels["route"] == "/readyz"
            ):
                return sample.value
    return 0.0


def test_every_worker_counts_into_one_view_and_the_files_go_at_exit(tmp_path):
    env = {
        **os.environ,
        "AUTHSVC_INSTANCE_PATH": str(tmp_path),
        "AUTHSVC_LOG_LEVEL": "WARNING",
        "AUTHSVC_METRICS_DIR": str(tmp_path / "metrics"),
        "AUTHSVC_EMBEDDED_WORKER": "false",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    cli = [sys.executable, "-m", "authsvc.cli"]
    subprocess.run([*cli, "init"], env=env, capture_output=True, check=True)
    port = _free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        server = subprocess.Popen(  # noqa: S603 - our own command line
            [*cli, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(f"{base}/healthz", server, log)
        [directory] = list((tmp_path / "metrics").iterdir())
        for _ in range(REQUESTS):
            _get(f"{base}/readyz")
        # Whichever worker answers a scrape, it reports every worker's requests.
        counts = {_readyz_count(_get(f"{base}/metrics")) for _ in range(6)}
        assert counts == {REQUESTS}
        assert list(directory.glob("histogram_*.db"))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert not directory.exists()
