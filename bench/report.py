"""The benchmark's verdict: the table of figures, the targets (PASS/MISS) and the JSON record."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.wrk import Result

RESULTS_DIR = Path(__file__).with_name("results")

# Measurement name -> label, in the order of the table.
LABELS = {
    "bare": "bare Flask      GET /",
    "bare_db": "bare Flask + 1 SQL statement  GET /api/v1/users/{id}",
    "healthz": "authsvc         GET /healthz",
    "user_cached": "PostgreSQL      GET /api/v1/users/{id}  key cache on",
    "user_uncached": "PostgreSQL      GET /api/v1/users/{id}  key cache off",
    "list": "PostgreSQL      GET /api/v1/users?limit=50",
    "user_sqlite": "SQLite          GET /api/v1/users/{id}  key cache on",
    "user_cached_grown": "{grown:,} tenants  GET /api/v1/users/{{id}}  key cache on",
    "list_grown": "{grown:,} tenants  GET /api/v1/users?limit=50",
    "bare_repeat": "bare Flask      GET /  (again, at the end)",
}
# "No measurable slowdown": requests/s after growth within this fraction of before.
GROWTH_TOLERANCE = 0.10
# Beyond this change of the bare figure between start and end, other load interfered.
BARE_DRIFT_TOLERANCE = 0.10


@dataclass(frozen=True)
class Target:
    goal: str
    measured: str
    passed: bool


def label(name: str, grown: int) -> str:
    """The row label of a measurement; ``grown`` is the tenant count after growth."""
    text = LABELS[name]
    return text.format(grown=grown) if "_grown" in name else text


def table(results: dict[str, Result], grown: int) -> str:
    """One row per measurement: req/s, p50, p99 and app CPU per request, each against bare."""
    bare = results["bare"]
    header = f"{'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'vs bare':>7} {'CPU µs':>7} {'x bare':>6}"
    lines = [f"{'':54} {header}"]
    for name in LABELS:
        if name not in results:
            continue
        r = results[name]
        cpu, cpu_ratio = "", ""
        if r.app_cpu_us and bare.app_cpu_us:
            cpu, cpu_ratio = f"{r.app_cpu_us:7.0f}", f"{r.app_cpu_us / bare.app_cpu_us:5.1f}x"
        flag = "" if r.clean else f"  ERRORS: {r.non_2xx} non-2xx, {r.socket_errors} socket"
        lines.append(
            f"{label(name, grown):54} {r.requests_per_s:7.0f} {r.p50_ms:7.2f} {r.p99_ms:7.2f}"
            f" {r.requests_per_s / bare.requests_per_s:7.0%} {cpu:>7} {cpu_ratio:>6}{flag}"
        )
    return "\n".join(lines)


def floor_note(results: dict[str, Result]) -> str:
    """How the user read compares with the bare one-statement read (information, no target)."""
    floor, read = results.get("bare_db"), results.get("user_cached")
    if floor is None or read is None:
        return ""
    share = floor.requests_per_s / results["bare"].requests_per_s
    return (
        f"\nFloor of a single-user read (bare Flask, one SQL statement, same gunicorn): "
        f"{floor.requests_per_s:,.0f} req/s = {share:.0%} of bare. authsvc's read (key cache on) "
        f"reaches {read.requests_per_s / floor.requests_per_s:.0%} of that floor."
    )


def contention_note(results: dict[str, Result]) -> str:
    """Whether the bare baseline moved during the run, i.e. whether other load interfered."""
    first, last = results["bare"].requests_per_s, results["bare_repeat"].requests_per_s
    drift = abs(last - first) / first
    if drift <= BARE_DRIFT_TOLERANCE:
        return f"Bare baseline steady (start vs end {drift:.0%}): the machine was quiet enough."
    return (
        f"WARNING: the bare baseline moved {drift:.0%} between start and end: other processes "
        "competed for the CPU, so req/s ratios are unreliable; the CPU column is much less so."
    )


def _ratio(goal: str, num: Result, den: Result, minimum: float, cpu: bool = False) -> Target:
    """``num`` req/s at least ``minimum`` times ``den``'s; ``cpu`` adds the CPU/request change."""
    ratio = num.requests_per_s / den.requests_per_s
    clean = num.clean and den.clean
    measured = f"{ratio:.0%}" + ("" if clean else " (errors)")
    if cpu and num.app_cpu_us and den.app_cpu_us:
        measured += f" (CPU/request {den.app_cpu_us:,.0f} -> {num.app_cpu_us:,.0f} µs)"
    return Target(goal, measured, clean and ratio >= minimum)


def targets(results: dict[str, Result], users: int, tenants: int, grown: int) -> list[Target]:
    """The performance targets, each with what was measured."""
    r = results
    listing = r["list"]
    found = [
        _ratio("/healthz >= 80% of bare", r["healthz"], r["bare"], 0.80),
        _ratio("user read, key cache off >= 50% of bare", r["user_uncached"], r["bare"], 0.50),
        _ratio("user read, key cache on >= 75% of bare", r["user_cached"], r["bare"], 0.75),
        _ratio("user read PostgreSQL >= 65% of SQLite", r["user_cached"], r["user_sqlite"], 0.65),
        Target(
            f"list p99 < 50 ms at {users:,} users",
            f"{listing.p99_ms:.1f} ms",
            listing.clean and listing.p99_ms < 50,
        ),
    ]
    floor = 1 - GROWTH_TOLERANCE
    for before, after, what in (
        ("list", "list_grown", "list"),
        ("user_cached", "user_cached_grown", "user read"),
    ):
        goal = f"{what}: {grown:,} tenants >= {floor:.0%} of {tenants} tenants (req/s)"
        found.append(_ratio(goal, r[after], r[before], floor, cpu=True))
    return found


def render_targets(found: list[Target]) -> str:
    return "\n".join(f"  {'PASS' if t.passed else 'MISS'}  {t.goal:58} {t.measured}" for t in found)


def render_creation(creation: dict[str, dict[str, float]]) -> str:
    """Per-tenant ``create_tenant`` time, one line per sample."""
    return "\n".join(
        f"  {sample:32} p50 {s['p50_ms']:6.2f} ms   p99 {s['p99_ms']:6.2f} ms   (n={s['count']})"
        for sample, s in creation.items()
    )


def write_json(record: dict, say: Callable[[str], None]) -> Path:
    """Store the run in bench/results/api-<UTC time>.json (the directory is gitignored)."""
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"api-{stamp}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    say(f"results written to {path.relative_to(RESULTS_DIR.parent.parent)}")
    return path


def record(settings: dict, results: dict[str, Result], found: list[Target], extra: dict) -> dict:
    """Everything a later reader needs to compare runs."""
    return {
        "finished_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "settings": settings,
        "measurements": {
            name: {"label": " ".join(label(name, extra["tenant_count"]).split()), **r.as_dict()}
            for name, r in results.items()
        },
        "targets": [asdict(t) for t in found],
        **extra,
    }
