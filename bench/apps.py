"""The apps under test: production-like environment, gunicorn start-up and shutdown.

Both authsvc and the bare baseline run under the same gunicorn settings (two
sync workers on 127.0.0.1). authsvc keeps its production INFO request log; the
log goes to a file so the terminal stays readable and writing it is still paid.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_SETTINGS = ("--workers", "2", "--worker-class", "sync")
AUTHSVC_TARGET = "authsvc.wsgi:app"
BARE_TARGET = "bench.bare_app:app"
START_TIMEOUT_SECONDS = 60


class AppStartError(RuntimeError):
    """A gunicorn app did not answer; the message ends with its log tail."""


def production_env(database_url: str, instance: Path, cache_ttl: int = 10) -> dict[str, str]:
    """The environment of a production deployment, for ``authsvc init`` and gunicorn.

    AUTHSVC_* variables of the calling shell are dropped so every run measures the same thing.
    """
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSVC_")}
    return {
        **inherited,
        "AUTHSVC_ENV": "production",
        # token_urlsafe(36) is 48 characters.
        "AUTHSVC_SECRET_KEY": secrets.token_urlsafe(36),
        "AUTHSVC_DATABASE_URL": database_url,
        "AUTHSVC_INSTANCE_PATH": str(instance),
        "AUTHSVC_LOG_LEVEL": "INFO",
        "AUTHSVC_APIKEYS_CACHE_TTL_SECONDS": str(cache_ttl),
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    """One running gunicorn master and where to reach it."""

    name: str
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_cpu_seconds(self) -> float:
        """CPU time (user + system) used so far by this master's workers, from /proc."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                # Fields after the parenthesised command: state, ppid, ..., utime, stime.
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # The process ended while we looked.
            if int(fields[1]) == self.process.pid:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 30) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _wait_until_ready(served: Served, probe: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if served.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(served.url + probe, timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    _stop(served)
    raise AppStartError(f"{served.name} did not answer {probe}:\n{served.log_tail()}")


def _stop(served: Served) -> None:
    if served.process.poll() is None:
        served.process.terminate()
        try:
            served.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait()


@contextmanager
def serve(
    name: str, target: str, env: dict[str, str], log_dir: Path, probe: str = "/"
) -> Iterator[Served]:
    """Run ``gunicorn <target>`` on a free 127.0.0.1 port until the block ends."""
    port = _free_port()
    log = log_dir / f"{name}.log"
    command = [sys.executable, "-m", "gunicorn", *GUNICORN_SETTINGS]
    command += ["--bind", f"127.0.0.1:{port}", target]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    served = Served(name, port, process, log)
    _wait_until_ready(served, probe)
    try:
        yield served
    finally:
        _stop(served)
