"""Organization switching beside a refresh: does ``POST /me/organization`` cost more?

Run: .venv/bin/python -m bench.orgs [--rounds 400]

One user of one tenant belongs to two organizations. On authsvc under gunicorn (the
production settings of the other benchmarks, PostgreSQL as the application's role),
one HTTP connection alternates in rounds: a refresh (``POST /auth/refresh``) and a
switch to the other organization (``POST /me/organization``), each answering a new
token pair that the next call uses. Alternating puts both under the same machine
load; each kind's latency is timed on the client, and its worker CPU is read from
/proc around a run of that kind alone. The target: a switch costs no more than a
refresh (p50 latency and CPU per request within 10 %).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench import apps, seed
from bench.auth_seed import LIMITS
from tests.servers import PostgresServer

API = "/api/v1"
PASSWORD = "correct horse battery staple 42"
TOLERANCE = 1.10


def say(message: str) -> None:
    print(message, flush=True)


def setup(client: httpx.Client, admin_key: str, auth_key: str) -> tuple[list[str], dict]:
    """Two organizations with the user in both; the signed-in token pair."""
    admin = {"X-API-Key": admin_key}
    user = client.post(
        f"{API}/users", json={"email": "switcher@example.com", "password": PASSWORD}, headers=admin
    ).json()
    orgs = []
    for name in ("Alpha", "Beta"):
        body = {"name": name, "slug": name.lower()}
        org = client.post(f"{API}/organizations", json=body, headers=admin).json()
        member = {"user_id": user["id"], "roles": ["member"]}
        added = client.post(f"{API}/organizations/{org['id']}/members", json=member, headers=admin)
        added.raise_for_status()
        orgs.append(org["id"])
    login = {"email": "switcher@example.com", "password": PASSWORD}
    pair = client.post(f"{API}/auth/login", json=login, headers={"X-API-Key": auth_key})
    pair.raise_for_status()
    return orgs, pair.json()


def refresh(client: httpx.Client, auth_key: str, pair: dict, _org: str) -> httpx.Response:
    body = {"refresh_token": pair["refresh_token"]}
    return client.post(f"{API}/auth/refresh", json=body, headers={"X-API-Key": auth_key})


def switch(client: httpx.Client, auth_key: str, pair: dict, org: str) -> httpx.Response:
    headers = {"X-API-Key": auth_key, "Authorization": f"Bearer {pair['access_token']}"}
    return client.post(f"{API}/me/organization", json={"organization_id": org}, headers=headers)


def run(client, served, auth_key, pair, orgs, rounds: int) -> tuple[dict, dict]:
    """Alternate the two kinds for latency, then run each alone for its CPU."""
    calls = {"refresh": refresh, "switch": switch}
    latency: dict[str, list[float]] = {name: [] for name in calls}
    for number in range(rounds):
        for name, call in calls.items():
            started = time.perf_counter()
            answer = call(client, auth_key, pair, orgs[number % 2])
            latency[name].append((time.perf_counter() - started) * 1000)
            answer.raise_for_status()
            pair = answer.json()
        if (number + 1) % 100 == 0:
            say(f"  {number + 1}/{rounds} rounds")
    cpu = {}
    for name, call in calls.items():
        before = served.worker_cpu_seconds()
        for number in range(rounds):
            answer = call(client, auth_key, pair, orgs[number % 2])
            answer.raise_for_status()
            pair = answer.json()
        cpu[name] = (served.worker_cpu_seconds() - before) / rounds * 1e6
    return latency, cpu


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.orgs", description=description)
    parser.add_argument("--rounds", type=int, default=400, help="refresh + switch pairs (400)")
    args = parser.parse_args(argv)
    say(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores)")
    with (
        tempfile.TemporaryDirectory(prefix="authsvc-bench-orgs-") as tmp_name,
        PostgresServer("authsvc_bench_orgs") as pg,
    ):
        tmp = Path(tmp_name)
        env = {**apps.production_env(pg.app_url, tmp / "instance"), **LIMITS}
        seed.authsvc_init(env)
        keys = _keys(env, pg.url)
        with (
            apps.serve("authsvc", apps.AUTHSVC_TARGET, env, tmp, probe="/healthz") as served,
            httpx.Client(base_url=served.url, timeout=30) as client,
        ):
            orgs, pair = setup(client, *keys)
            latency, cpu = run(client, served, keys[1], pair, orgs, args.rounds)
    return report(latency, cpu)


def _keys(env: dict[str, str], seed_url: str) -> tuple[str, str]:
    """A tenant with an admin key and an auth key, created through the services."""
    from authsvc import create_app
    from authsvc.apikeys.service import create_api_key
    from authsvc.tenancy import tenant_context
    from authsvc.tenants.service import create_tenant

    settings = {"SECRET_KEY": env["AUTHSVC_SECRET_KEY"], "DATABASE_URL": seed_url}
    app = create_app({**settings, "ENV": "production", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        tenant = create_tenant("orgs", "Organizations bench", settings=seed.BENCH_TENANT_SETTINGS)
        with tenant_context(tenant.id):
            _row, admin = create_api_key("admin", ["admin", "orgs:write"], actor="bench")
            _row, auth = create_api_key("auth", ["auth"], actor="bench")
    return admin, auth


def report(latency: dict[str, list[float]], cpu: dict[str, float]) -> int:
    say("\n                      p50 ms   p99 ms   worker CPU µs/request")
    p50 = {}
    for name, times in latency.items():
        p50[name] = statistics.median(times)
        p99 = statistics.quantiles(times, n=100)[98]
        say(f"POST {name:<14}  {p50[name]:7.2f}  {p99:7.2f}  {cpu[name]:10,.0f}")
    held = all(kind["switch"] <= kind["refresh"] * TOLERANCE for kind in (p50, cpu))
    ratio = cpu["switch"] / cpu["refresh"]
    verdict = "PASS" if held else "MISS"
    say(f"\n{verdict}  switching costs no more than a refresh (+10 %): CPU x{ratio:.2f}")
    say(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
