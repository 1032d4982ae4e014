"""Measuring: wrk runs of auth_requests.lua, argon2 alone, timed logins, the lockout."""

from __future__ import annotations

import os
import random
import re
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import sqlalchemy as sa
from argon2 import PasswordHasher

from bench import apps, wrk
from bench.auth_seed import API, ARGON2, PASSWORD, USERS, BenchError, Tenant, say

SCRIPT = Path(__file__).with_name("auth_requests.lua")
WORKERS = int(apps.GUNICORN_SETTINGS[apps.GUNICORN_SETTINGS.index("--workers") + 1])
LOGIN_KINDS = ("success", "wrong password", "unknown user")
TIMING_WARMUP = 10


@dataclass(frozen=True)
class Run:
    """One wrk run and the response statuses its Lua script counted."""

    result: wrk.Result
    statuses: dict[int, int]
    expected: int = 200
    exhausted: int = 0

    @property
    def unexpected(self) -> int:
        if not self.statuses:
            return self.result.non_2xx + self.result.socket_errors
        wrong = sum(n for status, n in self.statuses.items() if status != self.expected)
        return wrong + self.result.socket_errors

    def as_dict(self) -> dict:
        counted = {
            "statuses": self.statuses,
            "expected": self.expected,
            "exhausted": self.exhausted,
        }
        return {**self.result.as_dict(), **counted, "unexpected": self.unexpected}


@dataclass
class Bench:
    """Load settings and everything measured so far."""

    load: wrk.Load
    runs: dict[str, Run] = field(default_factory=dict)
    hash_seconds: list[float] = field(default_factory=list)
    hash_cpu_seconds: list[float] = field(default_factory=list)
    timings: dict[str, list[float]] = field(default_factory=dict)
    checks: dict[str, int] = field(default_factory=dict)


def _wrk(url: str, seconds: int, load: wrk.Load, env: dict[str, str]) -> str:
    command = [shutil.which("wrk") or "/usr/bin/wrk", f"-t{load.threads}", f"-c{load.connections}"]
    # Logins queue behind argon2 for far longer than wrk's default 2 s timeout allows.
    command += [f"-d{seconds}s", "--timeout", "10s", "--latency", "-s", str(SCRIPT), url]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    if done.returncode != 0 or "bench-statuses" not in done.stdout:
        raise wrk.WrkError(f"wrk exited with {done.returncode}:\n{done.stdout}{done.stderr}")
    return done.stdout


def _lua_counts(text: str) -> tuple[dict[int, int], int]:
    line = re.search(r"^bench-statuses(.*)$", text, re.MULTILINE).group(1)
    statuses = {int(s): int(n) for s, n in (pair.split("=") for pair in line.split())}
    return statuses, int(re.search(r"^bench-exhausted (\d+)", text, re.MULTILINE).group(1))


def wait_idle(served: apps.Served, limit_seconds: float = 10.0) -> None:
    """Let the workers finish what wrk left queued when it stopped.

    Sync workers still serve requests whose client has gone; after a login run
    that is several seconds of hashing, which would slow whatever comes next.
    """
    deadline = time.monotonic() + limit_seconds
    before = served.worker_cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = served.worker_cpu_seconds()
        if now - before < 0.02:
            return
        before = now


def measure(bench: Bench, name: str, served: apps.Served, path: str, **lua) -> Run:
    """One warm-up and one measured wrk run of auth_requests.lua (see its header)."""
    url = served.url + path
    if not url.startswith(wrk.LOCAL_PREFIX):
        raise wrk.WrkError(f"refusing to load-test a non-local URL: {url}")
    expected = lua.pop("expect", 200)
    warmup_lines = lua.pop("warmup_lines", lua["lines"])
    env = {**os.environ, "BENCH_THREADS": str(bench.load.threads), "BENCH_PASSWORD": PASSWORD}
    env.update({f"BENCH_{k.upper()}": str(v) for k, v in lua.items()})
    say(f"wrk: {name}")
    if bench.load.warmup_seconds > 0:
        _wrk(url, bench.load.warmup_seconds, bench.load, {**env, "BENCH_LINES": str(warmup_lines)})
        wait_idle(served)
    load_average = os.getloadavg()[0]
    cpu_before = served.worker_cpu_seconds()
    text = _wrk(url, bench.load.seconds, bench.load, env)
    result = wrk.parse(text)
    cpu = (served.worker_cpu_seconds() - cpu_before) / max(result.requests, 1) * 1e6
    statuses, exhausted = _lua_counts(text)
    wait_idle(served)
    run = Run(replace(result, app_cpu_us=cpu, load_average=load_average), statuses, expected)
    return _record(bench, name, replace(run, exhausted=exhausted), served)


def measure_bare(bench: Bench, name: str, bare: apps.Served) -> Run:
    say(f"wrk: {name}")
    result = wrk.measure(bare.url + "/", bench.load, cpu_seconds=bare.worker_cpu_seconds)
    return _record(bench, name, Run(result, {}), bare)


def _record(bench: Bench, name: str, run: Run, served: apps.Served) -> Run:
    r = run.result
    say(
        f"  {r.requests_per_s:,.1f} req/s, p50 {r.p50_ms:.2f} ms, p99 {r.p99_ms:.2f} ms, "
        f"statuses {run.statuses or 'not counted'}, load average {r.load_average:.2f}"
    )
    if run.exhausted:
        say(f"  {run.exhausted} requests found no unused refresh token (sent an invalid one)")
    if run.unexpected:
        say(f"  {run.unexpected} unexpected responses or socket errors; app log tail:")
        print(served.log_tail(10), flush=True)
    bench.runs[name] = run
    return run


def time_argon2(bench: Bench, samples: int) -> None:
    """Seconds (wall and CPU) per ``PasswordHasher(t=2, m=19456, p=1).verify``, in-process."""
    hasher = PasswordHasher(**ARGON2)
    stored = hasher.hash(PASSWORD)
    for _ in range(samples):
        wall, cpu = time.perf_counter(), time.process_time()
        hasher.verify(stored, PASSWORD)
        bench.hash_seconds.append(time.perf_counter() - wall)
        bench.hash_cpu_seconds.append(time.process_time() - cpu)
    median = statistics.median(bench.hash_seconds[-samples:]) * 1000
    say(f"argon2id verify in-process: median {median:.1f} ms")


def _patch_auth_policy(client: httpx.Client, tenant: Tenant, policy: dict) -> None:
    response = client.patch(
        f"{API}/tenant",
        json={"settings": {"auth": policy}},
        headers={"X-API-Key": tenant.admin_key},
    )
    if response.status_code != 200:
        raise BenchError(f"PATCH /tenant answered {response.status_code}: {response.text}")


def _attempt(kind: str, number: int, offset: int) -> tuple[dict, int]:
    """The login body of one timed attempt and the status it must get."""
    if kind == "success":
        return {"email": Tenant.email(number), "password": PASSWORD}, 200
    if kind == "wrong password":
        return {"email": Tenant.email(offset + number), "password": "not " + PASSWORD}, 401
    return {"email": f"nobody{number:06d}@example.com", "password": PASSWORD}, 401


def login_timings(url: str, tenant: Tenant, rounds: int) -> dict[str, list[float]]:
    """Sequential logins of each kind, shuffled per round; milliseconds after warm-up."""
    times: dict[str, list[float]] = {kind: [] for kind in LOGIN_KINDS}
    total = TIMING_WARMUP + rounds
    if 2 * total > USERS["timing"]:
        raise BenchError(f"--rounds {rounds} needs more than {USERS['timing']} timing users")
    rng = random.Random(3)  # A reproducible order, not a secret.
    with httpx.Client(base_url=url, timeout=30) as client:
        # Known users get wrong passwords: nobody may be locked out meanwhile.
        _patch_auth_policy(client, tenant, {"lockout_threshold": 1000})
        say(f"timing {total} rounds of {', '.join(LOGIN_KINDS)} logins (httpx, sequential)")
        for number in range(total):
            for kind in rng.sample(LOGIN_KINDS, len(LOGIN_KINDS)):
                body, expected = _attempt(kind, number, total)
                started = time.perf_counter()
                response = client.post(
                    f"{API}/auth/login", json=body, headers={"X-API-Key": tenant.auth_key}
                )
                elapsed_ms = (time.perf_counter() - started) * 1000
                if response.status_code != expected:
                    raise BenchError(f"{kind} login answered {response.status_code}")
                if number >= TIMING_WARMUP:
                    times[kind].append(elapsed_ms)
    return times


def lock_account(url: str, tenant: Tenant) -> str:
    """Fail one account's logins past its threshold (default 10) until it answers 429."""
    email = Tenant.email(0)
    with httpx.Client(base_url=url, timeout=30) as client:
        # The first lockout lasts 15 minutes instead of 1, so it outlives the wrk run.
        _patch_auth_policy(client, tenant, {"lockout_base_seconds": 900})
        for attempt in range(1, 31):
            response = client.post(
                f"{API}/auth/login",
                json={"email": email, "password": "not " + PASSWORD},
                headers={"X-API-Key": tenant.auth_key},
            )
            if response.status_code == 429:
                retry = response.headers.get("Retry-After")
                say(f"{email} locked: attempt {attempt} answered 429, Retry-After {retry}")
                return email
            if response.status_code != 401:
                raise BenchError(f"a wrong password answered {response.status_code}")
    raise BenchError(f"{email} was not locked after 30 failures")


def refresh_checks(engine: sa.Engine, tenant: Tenant) -> dict[str, int]:
    """Evidence that no token was sent twice: reuse revokes a session and says so."""
    sql = sa.text(
        "SELECT (SELECT count(*) FROM sessions WHERE tenant_id = :t"
        " AND revoked_reason = 'refresh_token_reuse'),"
        " (SELECT count(*) FROM refresh_tokens WHERE tenant_id = :t AND used_at IS NOT NULL)"
    )
    with engine.connect() as conn:
        reused, spent = conn.execute(sql, {"t": tenant.id}).one()
    say(f"refresh tokens spent (warm-up included): {spent:,}; sessions revoked for reuse: {reused}")
    return {"sessions_revoked_for_reuse": reused, "refresh_tokens_spent": spent}
