"""API benchmark: authsvc under gunicorn beside a bare Flask app, on PostgreSQL and SQLite.

Run from the repository root (see bench/README.md for how to read the output)::

    .venv/bin/python -m bench.api

Phases: seed a throwaway PostgreSQL and a SQLite file (10 tenants, 100,000
users), measure with wrk, grow PostgreSQL to 10,000 tenants, measure again,
then print the table and the targets and write ``bench/results/api-*.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from authsvc import create_app
from authsvc.extensions import db
from bench import apps, growth, report, seed, wrk
from tests.servers import PostgresServer

STARTED = time.monotonic()
USERS_PATH = "/api/v1/users/"  # wrk's URL; api.lua picks the real /users/<id> paths.
LIST_PATH = "/api/v1/users?limit=50"


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


@dataclass
class Dataset:
    """A seeded database and what the load needs: app env, one tenant's key, its user paths."""

    name: str
    env: dict[str, str]
    #: The harness's own (superuser) URL: seeding and the bare floor, outside the policies.
    seed_url: str
    app: Flask
    api_key: str
    user_paths: Path
    tenant_id: uuid.UUID


@dataclass
class Bench:
    """The load settings, where app logs go, and the results so far."""

    load: wrk.Load
    logs: Path
    grow_to: int
    results: dict[str, wrk.Result] = field(default_factory=dict)

    def measure(self, name: str, served: apps.Served, path: str, key=None, paths=None) -> None:
        say(f"wrk: {' '.join(report.label(name, self.grow_to).split())}")
        result = wrk.measure(served.url + path, self.load, key, paths, served.worker_cpu_seconds)
        self.results[name] = result
        say(
            f"  {result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
            f"p99 {result.p99_ms:.2f} ms, app CPU {result.app_cpu_us:,.0f} µs/request"
        )
        if not result.clean:
            say(f"  {result.non_2xx} non-2xx, {result.socket_errors} socket errors; app log:")
            print(served.log_tail(10), flush=True)

    def read_users(self, name: str, served: apps.Served, data: Dataset) -> None:
        """GET /api/v1/users/<id>, over random users of the dataset's first tenant."""
        self.measure(name, served, USERS_PATH, data.api_key, data.user_paths)

    def list_users(self, name: str, served: apps.Served, data: Dataset) -> None:
        """GET /api/v1/users?limit=50: the first page of the first tenant's users."""
        self.measure(name, served, LIST_PATH, data.api_key)

    def authsvc(self, name: str, data: Dataset, cache_ttl: int = 10):
        """Serve authsvc on ``data``'s database, with the key cache TTL given."""
        env = {**data.env, "AUTHSVC_APIKEYS_CACHE_TTL_SECONDS": str(cache_ttl)}
        return apps.serve(name, apps.AUTHSVC_TARGET, env, self.logs, probe="/healthz")


def _seeding_app(env: dict[str, str], url: str) -> Flask:
    # The harness's own app (not measured) logs warnings only.
    return create_app(
        {
            "ENV": "production",
            "SECRET_KEY": env["AUTHSVC_SECRET_KEY"],
            "DATABASE_URL": url,
            "INSTANCE_PATH": env["AUTHSVC_INSTANCE_PATH"],
            "LOG_LEVEL": "WARNING",
        }
    )


def prepare(
    name: str, url: str, args: argparse.Namespace, tmp: Path, seed_url: str | None = None
) -> Dataset:
    """Migrate with ``authsvc init``, create tenants and keys, bulk-insert the users.

    The app serves on ``url`` (on PostgreSQL the application's role, so row-level
    security is in the figures); the harness seeds on ``seed_url`` (default ``url``).
    """
    env = apps.production_env(url, tmp / f"instance-{name}")
    say(f"{name}: authsvc init")
    seed.authsvc_init(env)
    seed_url = seed_url or url
    app = _seeding_app(env, seed_url)
    with app.app_context():
        tenants = seed.create_bench_tenants(args.tenants)
        say(f"{name}: {len(tenants)} tenants and API keys created through the services")
        ids = seed.bulk_users(
            db.engine, [t.id for t in tenants], args.users, lambda m: say(f"{name}: {m}")
        )
        seed.analyze(db.engine)
    paths = seed.write_user_paths(ids[tenants[0].id], tmp / f"user-paths-{name}.txt")
    return Dataset(name, env, seed_url, app, tenants[0].api_key, paths, tenants[0].id)


def grow(data: Dataset, args: argparse.Namespace) -> dict:
    """Grow to ``args.grow_to`` tenants; ``create_tenant`` is timed early and late."""
    early_count = args.timed_tenants // 2
    with data.app.app_context():
        early_at = growth.tenant_count(db.engine)
        early = growth.time_create_tenant(early_count, "timed-a")
        late_count = args.timed_tenants - early_count
        bulk = max(0, args.grow_to - growth.tenant_count(db.engine) - late_count)
        growth.bulk_tenants(db.engine, bulk, "grow", say)
        late_at = growth.tenant_count(db.engine)
        late = growth.time_create_tenant(late_count, "timed-b")
        total = growth.tenant_count(db.engine)
        seed.analyze(db.engine)
    say(f"tenants: {total:,} in the database")
    return {
        "tenant_count": total,
        "create_tenant": {
            f"create_tenant at {early_at:,} tenants": growth.summarize_ms(early),
            f"create_tenant at {late_at:,} tenants": growth.summarize_ms(late),
        },
    }


def measure_all(bench: Bench, pg: Dataset, lite: Dataset, args: argparse.Namespace) -> dict:
    """Every wrk run; the bare app runs throughout as the baseline."""
    bare_env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSVC_")}
    with apps.serve("bare", apps.BARE_TARGET, bare_env, bench.logs) as bare:
        bench.measure("bare", bare, "/")
        with apps.serve("bare-db", apps.BARE_TARGET, _bare_db_env(bare_env, pg), bench.logs) as db:
            bench.measure("bare_db", db, USERS_PATH, paths=pg.user_paths)
        with bench.authsvc("authsvc-pg-nocache", pg, cache_ttl=0) as app:
            bench.read_users("user_uncached", app, pg)
        with bench.authsvc("authsvc-sqlite", lite) as app:
            bench.read_users("user_sqlite", app, lite)
        with bench.authsvc("authsvc-pg", pg) as app:
            bench.measure("healthz", app, "/healthz")
            bench.read_users("user_cached", app, pg)
            bench.list_users("list", app, pg)
            grown = grow(pg, args)
            bench.read_users("user_cached_grown", app, pg)
            bench.list_users("list_grown", app, pg)
        bench.measure("bare_repeat", bare, "/")
    return grown


def _bare_db_env(bare_env: dict[str, str], data: Dataset) -> dict[str, str]:
    """The bare app's environment for its one-statement user read on ``data``'s database."""
    dsn = data.seed_url.replace("postgresql+psycopg2://", "postgresql://")
    return {**bare_env, "BENCH_DATABASE_DSN": dsn, "BENCH_TENANT_ID": str(data.tenant_id)}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=100_000, help="users to seed (100,000)")
    parser.add_argument("--tenants", type=int, default=10, help="tenants holding them (10)")
    parser.add_argument("--grow-to", type=int, default=10_000, help="tenants after growth")
    parser.add_argument("--timed-tenants", type=int, default=200, help="create_tenant samples")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per run (2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    return parser.parse_args(argv)


def conclude(bench: Bench, grown: dict, settings: dict) -> int:
    """Print the table and targets, store the JSON; exit status 2 if any run had errors."""
    tenants, grown_to = settings["tenants"], grown["tenant_count"]
    found = report.targets(bench.results, settings["users"], tenants, grown_to)
    print("\n" + report.table(bench.results, grown_to))
    print("\nTenant creation through the service (per tenant):")
    print(report.render_creation(grown["create_tenant"]))
    print("\nTargets:")
    print(report.render_targets(found))
    print(report.floor_note(bench.results))
    print(report.contention_note(bench.results) + "\n")
    report.write_json(report.record(settings, bench.results, found, grown), say)
    return 0 if all(r.clean for r in bench.results.values()) else 2


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    load = wrk.Load(args.threads, args.connections, args.duration, args.warmup)
    settings = {**vars(args), "gunicorn": " ".join(apps.GUNICORN_SETTINGS)}
    say(f"settings: {settings}")
    say(f"load average before start: {os.getloadavg()[0]:.2f} (2 cores; near 0 is a quiet machine)")
    with (
        tempfile.TemporaryDirectory(prefix="authsvc-bench-") as tmp_name,
        PostgresServer("authsvc_bench") as pg,
    ):
        tmp = Path(tmp_name)
        say(f"PostgreSQL started on 127.0.0.1:{pg.port}")
        pg_data = prepare("postgresql", pg.app_url, args, tmp, seed_url=pg.url)
        lite = prepare("sqlite", f"sqlite:///{tmp / 'bench.db'}", args, tmp)
        bench = Bench(load, tmp, args.grow_to)
        grown = measure_all(bench, pg_data, lite, args)
    status = conclude(bench, grown, settings)
    say("done")
    return status


if __name__ == "__main__":
    sys.exit(main())
