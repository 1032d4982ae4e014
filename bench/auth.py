"""Issue-3 benchmark: end-user authentication under gunicorn beside a bare Flask app.

Run from the repository root (about 3 minutes; only 127.0.0.1 is touched)::

    .venv/bin/python -m bench.auth

On a throwaway PostgreSQL it measures, with wrk and ``auth_requests.lua``: login
beside the argon2id hash alone and beside its floor (the bare app's ``POST /login``:
Flask and the hash, nothing else), ``/auth/validate`` with the database denylist and
(on a second app) the Redis one, ``/me``, refresh-token rotation with every token
used once, and locked-out login attempts; with a sequential httpx client, failed
against successful login latency. It prints a table and the issue's targets and
writes ``bench/results/auth-<UTC time>.json``. Serving, seeding and wrk parsing
are ``bench.api``'s harness (apps, seed, wrk, report), reused as they are; this
module holds the phases, ``auth_seed`` the data, ``auth_runs`` the runs and
``auth_verdict`` the table and targets.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from authsvc.extensions import db
from bench import apps, wrk
from bench.auth_runs import (
    Bench,
    lock_account,
    login_timings,
    measure,
    measure_bare,
    refresh_checks,
    time_argon2,
)
from bench.auth_seed import API, LIMITS, prepare, say, write_lines
from bench.auth_verdict import conclude, loads
from tests.servers import PostgresServer, RedisServer


def measure_postgres(
    bench: Bench, app: apps.Served, bare: apps.Served, data: dict, files: dict, args
) -> None:
    """Every run on the app with the database denylist and counters (and the login floor)."""
    main = data["main"]
    time_argon2(bench, args.hash_samples)
    login = {"mode": "login", "lines": files["logins"], "api_key": main.auth_key}
    measure(bench, "login_floor", bare, "/login", **{**login, "api_key": ""})
    measure(bench, "login", app, f"{API}/auth/login", **login)
    time_argon2(bench, args.hash_samples)
    bearer = {"mode": "bearer", "lines": files["bearer"]}
    measure(bench, "validate_db", app, f"{API}/auth/validate", **bearer)
    measure(bench, "me", app, f"{API}/me", **bearer)
    refresh = {"mode": "refresh", "lines": files["refresh"], "api_key": main.auth_key}
    refresh["warmup_lines"] = files["refresh_warmup"]
    measure(bench, "refresh", app, f"{API}/auth/refresh", **refresh)
    with data["app"].app_context():
        bench.checks.update(refresh_checks(db.engine, main))
    bench.timings = login_timings(app.url, data["timing"], args.rounds)
    locked = write_lines(
        files["logins"].with_name("locked.txt"), [lock_account(app.url, data["lock"])]
    )
    lock = {"mode": "login", "lines": locked, "api_key": data["lock"].auth_key, "expect": 429}
    measure(bench, "locked", app, f"{API}/auth/login", **lock)


def measure_all(bench: Bench, env: dict, data: dict, files: dict, args, tmp: Path) -> None:
    """The bare app runs throughout; authsvc on the database denylist, then on Redis."""
    bare_env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSVC_")}
    # POST /login of the bare app verifies this hash: the floor of a login (see bare_app).
    bare_env["BENCH_ARGON2_HASH"] = data["password_hash"]
    with apps.serve("bare", apps.BARE_TARGET, bare_env, tmp) as bare:
        measure_bare(bench, "bare", bare)
        with apps.serve("authsvc-pg", apps.AUTHSVC_TARGET, env, tmp, probe="/healthz") as app:
            measure_postgres(bench, app, bare, data, files, args)
        with (
            RedisServer() as redis,
            apps.serve(
                "authsvc-redis",
                apps.AUTHSVC_TARGET,
                {**env, "AUTHSVC_REDIS_URL": redis.url},
                tmp,
                probe="/healthz",
            ) as app,
        ):
            bearer = {"mode": "bearer", "lines": files["bearer"]}
            measure(bench, "validate_redis", app, f"{API}/auth/validate", **bearer)
        measure_bare(bench, "bare_end", bare)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.auth", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="warm-up seconds per run (2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--rounds", type=int, default=100, help="timed logins of each kind (100)")
    parser.add_argument("--hash-samples", type=int, default=20, help="argon2 timings, twice (20)")
    # 20,000 covers 2,000 refreshes/s for 10 s; running out is reported, never papered over.
    parser.add_argument("--refresh-tokens", type=int, default=20000, help="measured run (20,000)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(wrk.Load(args.threads, args.connections, args.duration, args.warmup))
    settings = {**vars(args), "gunicorn": " ".join(apps.GUNICORN_SETTINGS), **LIMITS}
    settings["load_average_start"] = os.getloadavg()
    say(f"settings: {settings}")
    say(f"load average at start: {loads(settings['load_average_start'])} (2 cores)")
    with (
        tempfile.TemporaryDirectory(prefix="authsvc-bench-auth-") as tmp_name,
        PostgresServer("authsvc_bench_auth") as pg,
    ):
        tmp = Path(tmp_name)
        say(f"PostgreSQL started on 127.0.0.1:{pg.port}")
        # Served as the application's role (row-level security in the figures).
        env = {**apps.production_env(pg.app_url, tmp / "instance"), **LIMITS}
        data, files = prepare(env, tmp, args.refresh_tokens, seed_url=pg.url)
        measure_all(bench, env, data, files, args, tmp)
    status = conclude(bench, settings)
    say("done")
    return status


if __name__ == "__main__":
    sys.exit(main())
