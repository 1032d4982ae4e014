"""The verdict: the table, the issue's targets (PASS/MISS) and the JSON record."""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from bench import report
from bench.auth_runs import LOGIN_KINDS, WORKERS, Bench, Run
from bench.auth_seed import LIMITS, say

LABELS = {
    "bare": "bare Flask GET /",
    "argon2": "argon2id verify alone (in-process)",
    "login_floor": "bare Flask POST /login: argon2id only",
    "login": "POST /auth/login",
    "validate_db": "GET /auth/validate, database denylist",
    "validate_redis": "GET /auth/validate, Redis denylist",
    "me": "GET /me",
    "refresh": "POST /auth/refresh",
    "success": "login success (httpx, sequential)",
    "wrong password": "login wrong password (httpx)",
    "unknown user": "login unknown user (httpx)",
    "locked": "POST /auth/login, account locked (429)",
    "bare_end": "bare Flask GET / (again, at the end)",
}


def _p50_p99(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), statistics.quantiles(values, n=100, method="inclusive")[98]


def _target(goal: str, measured: str, passed: bool, *runs: Run) -> report.Target:
    clean = all(run.unexpected == 0 for run in runs)
    return report.Target(goal, measured + ("" if clean else " (errors)"), passed and clean)


def _share(bench: Bench, name: str, share: float) -> report.Target:
    run, bare = bench.runs[name], bench.runs["bare"]
    ratio = run.result.requests_per_s / bare.result.requests_per_s
    return _target(
        f"{name}: >= {share:.0%} of bare req/s", f"{ratio:.0%}", ratio >= share, run, bare
    )


def _p99(bench: Bench, name: str) -> report.Target:
    run, bare = bench.runs[name], bench.runs["bare"]
    times = run.result.p99_ms / bare.result.p99_ms
    return _target(f"{name}: p99 <= 1.5x bare p99", f"{times:.2f}x", times <= 1.5, run, bare)


def targets(bench: Bench) -> list[report.Target]:
    """The issue's targets, each with what was measured."""
    login, refresh = bench.runs["login"], bench.runs["refresh"]
    ceiling = WORKERS / statistics.median(bench.hash_seconds)
    ratio = login.result.requests_per_s / ceiling
    rate, reused = refresh.result.requests_per_s, bench.checks["sessions_revoked_for_reuse"]
    found = [
        _target(
            f"login: req/s / ({WORKERS} workers / argon2 s) >= 0.90",
            f"{ratio:.2f} ({login.result.requests_per_s:.1f} of {ceiling:.1f} req/s)",
            ratio >= 0.90,
            login,
        ),
        _share(bench, "validate_db", 0.60),
        _p99(bench, "validate_db"),
        _share(bench, "validate_redis", 0.60),
        _p99(bench, "validate_redis"),
        _share(bench, "me", 0.40),
        _target("refresh: >= 480 req/s", f"{rate:.0f} req/s", rate >= 480, refresh),
        _target("refresh: no token used twice", f"{reused} sessions revoked", reused == 0, refresh),
    ]
    success = statistics.median(bench.timings["success"])
    for kind in LOGIN_KINDS[1:]:
        delta = statistics.median(bench.timings[kind]) / success - 1
        found.append(
            _target(f"{kind}: p50 within 10% of success", f"{delta:+.1%}", abs(delta) <= 0.1)
        )
    found.append(_share(bench, "locked", 0.50))
    return found


def _row(rps: str, p50: float, p99: float, share: str = "-", cpu: str = "-", note="") -> str:
    return f"{rps:>8} {p50:8.2f} {p99:8.2f} {share:>7} {cpu:>7}  {note}"


def table(bench: Bench) -> str:
    """req/s, p50, p99, share of bare's req/s and app CPU per request for every row."""
    bare = bench.runs["bare"].result.requests_per_s
    head = f"{'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>7} {'CPU µs':>7}  responses"
    lines = [f"{'':40} {head}"]
    for name, label in LABELS.items():
        if name in bench.timings:
            note = f"{len(bench.timings[name])} timed, one at a time"
            row = _row("-", *_p50_p99(bench.timings[name]), note=note)
        elif name == "argon2":
            p50, p99 = _p50_p99([s * 1000 for s in bench.hash_seconds])
            cpu = f"{statistics.median(bench.hash_cpu_seconds) * 1e6:.0f}"
            note = f"{len(bench.hash_seconds)} timed, one thread"
            row = _row(f"{1000 / p50:.1f}", p50, p99, cpu=cpu, note=note)
        else:
            run, r = bench.runs[name], bench.runs[name].result
            codes = " ".join(f"{s}: {n}" for s, n in sorted(run.statuses.items()))
            note = codes or f"{r.requests} ({r.non_2xx} non-2xx)"
            share, cpu = f"{r.requests_per_s / bare:.0%}", f"{r.app_cpu_us:.0f}"
            row = _row(f"{r.requests_per_s:.1f}", r.p50_ms, r.p99_ms, share, cpu, note)
        lines.append(f"{label:40} {row}")
    return "\n".join(lines)


def write_record(bench: Bench, found: list[report.Target], settings: dict) -> Path:
    """Store the run in bench/results/auth-<UTC time>.json (gitignored)."""
    record = {
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "load_average_end": os.getloadavg()},
        "settings": settings,
        "runs": {name: run.as_dict() for name, run in bench.runs.items()},
        "argon2_verify_ms": [s * 1000 for s in bench.hash_seconds],
        "argon2_verify_cpu_ms": [s * 1000 for s in bench.hash_cpu_seconds],
        "login_timings_ms": bench.timings,
        "checks": bench.checks,
        "targets": [asdict(target) for target in found],
    }
    report.RESULTS_DIR.mkdir(exist_ok=True)
    path = report.RESULTS_DIR / f"auth-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path


def conclude(bench: Bench, settings: dict) -> int:
    """Print the table and targets, store the JSON; exit status 2 if any run had errors."""
    found = targets(bench)
    print("\n" + table(bench))
    print("\nTargets:")
    print(report.render_targets(found))
    print("\n" + _drift(bench))
    print(f"Rate limits raised for the measurement: {LIMITS}.")
    print(_cpu_bound(bench))
    print(_login_floor(bench))
    start, end = settings["load_average_start"], os.getloadavg()
    print(f"Load average (1, 5, 15 min) at start {loads(start)}, at end {loads(end)}.\n")
    path = write_record(bench, found, settings)
    say(f"results written to {path.relative_to(report.RESULTS_DIR.parent.parent)}")
    return 0 if all(run.unexpected == 0 for run in bench.runs.values()) else 2


def _drift(bench: Bench) -> str:
    """Whether the bare baseline held between the first and the last run."""
    drift = bench.runs["bare_end"].result.requests_per_s / bench.runs["bare"].result.requests_per_s
    if abs(drift - 1) <= report.BARE_DRIFT_TOLERANCE:
        return f"Bare baseline steady (end/start {drift:.0%}): the machine was quiet enough."
    return (
        f"Bare baseline moved (end/start {drift:.0%}, beyond ±10%): other load interfered; "
        "the req/s ratios are unreliable, compare the CPU column."
    )


def _cpu_bound(bench: Bench) -> str:
    """Login's ceiling from CPU time, which other load on the machine hardly moves."""
    login_cpu_ms = bench.runs["login"].result.app_cpu_us / 1000
    hash_cpu_ms = statistics.median(bench.hash_cpu_seconds) * 1000
    return (
        f"Login CPU per request {login_cpu_ms:.1f} ms, argon2id verify {hash_cpu_ms:.1f} ms: "
        f"CPU-bound workers reach at most {hash_cpu_ms / login_cpu_ms:.2f} of the hash-only rate."
    )


def _login_floor(bench: Bench) -> str:
    """The login ratio that Flask plus the hash alone reach here, and ours beside it."""
    ceiling = WORKERS / statistics.median(bench.hash_seconds)
    floor, login = bench.runs["login_floor"].result, bench.runs["login"].result
    return (
        f"Login floor: a bare Flask endpoint that only verifies the argon2id hash answers "
        f"{floor.requests_per_s:.1f} req/s = {floor.requests_per_s / ceiling:.2f} of the "
        f"hash-only rate ({floor.app_cpu_us / 1000:.1f} ms CPU); authsvc's login reaches "
        f"{login.requests_per_s / floor.requests_per_s:.0%} of that floor."
    )


def loads(values) -> str:
    return " ".join(f"{v:.2f}" for v in values)
