"""Run wrk against a local URL and parse its text report (requests/s, p50, p99, errors)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path

SCRIPT = Path(__file__).with_name("api.lua")
LOCAL_PREFIX = "http://127.0.0.1:"
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


class WrkError(RuntimeError):
    """wrk failed or printed a report we cannot read."""


@dataclass(frozen=True)
class Load:
    """How hard to push: wrk's threads, connections and seconds per run."""

    threads: int = 2
    connections: int = 16
    seconds: int = 10
    warmup_seconds: int = 2


@dataclass(frozen=True)
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    socket_errors: int
    # CPU the app's workers spent per request (µs), if measured: unlike requests/s it
    # hardly moves when other processes compete for the cores.
    app_cpu_us: float | None = None
    load_average: float | None = None

    @property
    def clean(self) -> bool:
        """Every response was a 2xx and no socket failed: the figures mean something."""
        return self.non_2xx == 0 and self.socket_errors == 0

    def as_dict(self) -> dict:
        return {**asdict(self), "clean": self.clean}


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    if match is None:
        raise WrkError(f"no {percentile}% latency in wrk output:\n{text}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse(text: str) -> Result:
    """Read wrk's ``--latency`` report."""
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in ", text, re.MULTILINE)
    if rate is None or total is None:
        raise WrkError(f"unexpected wrk output:\n{text}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    )
    return Result(
        requests_per_s=float(rate.group(1)),
        p50_ms=_latency_ms(text, "50"),
        p99_ms=_latency_ms(text, "99"),
        requests=int(total.group(1)),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(map(int, sockets.groups())) if sockets else 0,
    )


def _wrk(url: str, seconds: int, load: Load, env: dict[str, str]) -> str:
    command = [
        shutil.which("wrk") or "/usr/bin/wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(SCRIPT),
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    if done.returncode != 0:
        raise WrkError(f"wrk exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def measure(
    url: str,
    load: Load,
    api_key: str | None = None,
    paths: Path | None = None,
    cpu_seconds: Callable[[], float] | None = None,
) -> Result:
    """Warm up, then measure ``url`` (only 127.0.0.1 targets are allowed).

    ``paths`` is a file of request paths to pick from at random (see api.lua);
    ``cpu_seconds`` reads the app's CPU time, to report its CPU per request.
    """
    if not url.startswith(LOCAL_PREFIX):
        raise WrkError(f"refusing to load-test a non-local URL: {url}")
    env = {**os.environ, "BENCH_API_KEY": api_key or "", "BENCH_PATHS": str(paths or "")}
    if load.warmup_seconds > 0:
        _wrk(url, load.warmup_seconds, load, env)
    load_average = os.getloadavg()[0]
    cpu_before = cpu_seconds() if cpu_seconds else 0.0
    result = parse(_wrk(url, load.seconds, load, env))
    cpu = None
    if cpu_seconds and result.requests:
        cpu = (cpu_seconds() - cpu_before) / result.requests * 1e6
    return replace(result, app_cpu_us=cpu, load_average=load_average)
