"""Webhook benchmark: delivery throughput, end-to-end latency and the outbox's cost.

Run from the repository root (PostgreSQL server binaries and wrk installed)::

    .venv/bin/python bench/webhooks.py            # add --events 2000 for a quick run

It starts a throwaway PostgreSQL server (``tests/servers.py``), a lean webhook
receiver on loopback (``bench/receiver.py``: asyncio HTTP/1.1, keep-alive,
answers 200; it shares the two cores, so it must cost little) and measures, in a
production configuration (``AUTHSVC_ENV=production``):

1. **Throughput**: 10,000 ``user.created`` events committed at once (one
   transaction) while 1, then 2, ``authsvc worker`` processes wait; deliveries/s
   from that commit until the receiver has the last one (fan-out included).
2. **Latency**: with an idle queue and one worker, from ``POST /api/v1/users``
   returning (gunicorn, 2 web workers) to the receiver getting the event;
   p50 and p99 of 200 sequential requests.
3. **Outbox cost**: wrk ``POST /api/v1/users`` (no password, so no argon2) for a
   tenant without any webhook and for one with a subscribed endpoint; requests/s
   and p50. Measured twice: with no worker running (what the request itself
   pays: the event row and the NOTIFY) and with one worker delivering the
   subscribed tenant's events meanwhile on the same two cores.

Targets on the 2-core reference machine: >= 500 deliveries/s with 2 workers,
p50 latency < 100 ms, the subscribed case within 10 % of the other.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authsvc import create_app  # noqa: E402
from authsvc.events import emit  # noqa: E402
from authsvc.extensions import db  # noqa: E402
from bench.receiver import LeanReceiver as Receiver  # noqa: E402
from tests.servers import PostgresServer  # noqa: E402

STARTED = time.monotonic()
LUA = Path(__file__).with_name("webhooks.lua")


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Platform:
    """The database, the settings every process shares, and an in-process app for setup."""

    def __init__(self, database_url: str, instance: Path, concurrency: int) -> None:
        self.settings = {
            "ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(36),
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(instance),
            "LOG_LEVEL": "WARNING",
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
            "WEBHOOKS_CONCURRENCY": str(concurrency),
            # One receiver endpoint takes all the load here, so it may use every slot.
            "WEBHOOKS_PER_ENDPOINT_CONCURRENCY": str(concurrency),
            "RATELIMIT_DEFAULT": "1000000/minute",
        }
        self.logs = instance
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSVC_")}
        self.env.update({f"AUTHSVC_{k}": v for k, v in self.settings.items()})
        subprocess.run(
            [sys.executable, "-m", "authsvc.cli", "init"], env=self.env, check=True, cwd=ROOT
        )
        os.environ.update({f"AUTHSVC_{k}": v for k, v in self.settings.items()})
        self.app = create_app()

    def tenant(self, hook_url: str | None) -> tuple:
        """A tenant (rate limit out of the way), an API key, and optionally one webhook."""
        from authsvc.apikeys.service import create_api_key
        from authsvc.tenancy import tenant_context
        from authsvc.tenants.service import create_tenant
        from authsvc.webhooks.service import create_webhook

        with self.app.app_context():
            slug = "b" + secrets.token_hex(4)
            tenant = create_tenant(slug, slug, settings={"rate_limit": "1000000/minute"})
            with tenant_context(tenant.id):
                _key, plaintext = create_api_key("bench", ["admin"])
                if hook_url:
                    create_webhook({"url": hook_url, "event_types": ["user.*"]})
            return tenant.id, plaintext

    @contextmanager
    def workers(self, count: int):
        procs = []
        for n in range(count):
            with (self.logs / f"worker-{n}.log").open("ab") as log:
                procs.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "authsvc.cli", "worker"],
                        env=self.env,
                        cwd=ROOT,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
        time.sleep(4)  # Imported, connected, listening, idle.
        try:
            yield procs
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=60)

    @contextmanager
    def web(self):
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync"]
        command += ["--bind", f"127.0.0.1:{port}", "authsvc.wsgi:app"]
        with (self.logs / "web.log").open("ab") as log:
            proc = subprocess.Popen(command, env=self.env, cwd=ROOT, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        try:
            yield base
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def _user(i: int) -> dict:
    now = "2026-11-24T09:30:00+00:00"
    return {
        "user": {
            "id": f"0190d1c4-5a2b-7c3d-8e4f-{i:012d}",
            "email": f"user{i}@bench.test",
            "username": None,
            "display_name": f"User {i}",
            "is_verified": False,
            "is_active": True,
            "roles": ["member"],
            "metadata": {},
            "created_at": now,
            "updated_at": now,
        }
    }


TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and of its children it has waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(value) for value in fields[11:15]) / TICKS


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def postgres_cpu(pg: PostgresServer) -> dict[int, float]:
    """CPU per PostgreSQL process (the postmaster counts its ended backends)."""
    postmaster = int((pg._tmp / "data" / "postmaster.pid").read_text().split()[0])
    return {pid: cpu_seconds(pid) for pid in [postmaster, *_children(postmaster)]}


class CpuMeter:
    """CPU spent by the workers, the receiver (this process) and PostgreSQL over a span."""

    def __init__(self, pg: PostgresServer, workers: list) -> None:
        self.pg, self.workers = pg, workers
        self.start = self._sample()

    def _sample(self) -> dict[str, object]:
        return {
            "workers": sum(cpu_seconds(proc.pid) for proc in self.workers),
            "receiver": sum(os.times()[:2]),
            "postgres": postgres_cpu(self.pg),
        }

    def spent(self) -> dict[str, float]:
        end = self._sample()
        pg = sum(cpu - self.start["postgres"].get(pid, 0.0) for pid, cpu in end["postgres"].items())
        return {
            "workers": end["workers"] - self.start["workers"],
            "receiver": end["receiver"] - self.start["receiver"],
            "postgres": pg,
        }


def _duplicates(platform: Platform, tenant_id, got: list, unique: int) -> str:
    """Why some events arrived more than once: delivery states and the workers' logs."""
    import sqlalchemy as sa

    from authsvc.tenancy import tenant_context
    from authsvc.webhooks.models import WebhookDelivery as D

    with platform.app.app_context(), tenant_context(tenant_id):
        states = db.session.execute(
            sa.select(D.state, D.attempts, D.last_error, sa.func.count()).group_by(
                D.state, D.attempts, D.last_error
            )
        ).all()
    logs = "".join(path.read_text()[-4000:] for path in platform.logs.glob("worker-*.log"))
    return (
        f"{len(got)} requests carried only {unique} distinct events; deliveries by "
        f"(state, attempts, last error, count): {states}\nworker logs:\n{logs}"
    )


def throughput(platform: Platform, receiver: Receiver, pg, workers: int, events: int) -> dict:
    from authsvc.tenancy import tenant_context

    path = f"drain{workers}"
    tenant_id, _key = platform.tenant(receiver.url(path))
    with platform.workers(workers) as procs:
        with platform.app.app_context(), tenant_context(tenant_id):
            for i in range(events):
                emit("user.created", _user(i), actor="bench")
            db.session.commit()
        committed = time.time()
        meter = CpuMeter(pg, procs)
        say(f"{events} events committed; {workers} worker(s) draining")
        got = receiver.wait_for(path, events, timeout=600)
        cpu = meter.spent()
    if len(got) < events:
        raise RuntimeError(f"only {len(got)} of {events} deliveries arrived")
    ids = {r.headers["webhook-id"] for r in got}
    if len(ids) < events:
        raise RuntimeError(_duplicates(platform, tenant_id, got, len(ids)))
    elapsed = max(r.at for r in got) - committed
    per_delivery = {name: seconds / events * 1e6 for name, seconds in cpu.items()}
    say(
        f"{events / elapsed:.0f} deliveries/s; CPU per delivery (µs): "
        + ", ".join(f"{name} {us:.0f}" for name, us in per_delivery.items())
    )
    return {"rate": events / elapsed, "cpu_us": per_delivery}


def latency(platform: Platform, receiver: Receiver, base: str, samples: int) -> list[float]:
    _tenant, key = platform.tenant(receiver.url("latency"))
    client = httpx.Client(base_url=base, headers={"X-API-Key": key})
    returned: dict[str, float] = {}
    for i in range(samples + 20):
        response = client.post("/api/v1/users", json={"email": f"lat{i}@bench.test"})
        response.raise_for_status()
        if i >= 20:  # Warm-up requests are not counted.
            returned[response.json()["id"]] = time.time()
        time.sleep(0.05)
    got = receiver.wait_for("latency", samples + 20, timeout=60)
    arrived = {json.loads(r.body)["data"]["user"]["id"]: r.at for r in got}
    # The receiver may log the event before the client has read the response: 0 then.
    return sorted(max(0.0, arrived[uid] - at) * 1000 for uid, at in returned.items())


def wrk(base: str, key: str, seconds: int) -> tuple[float, float]:
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s", str(LUA), base]
    out = subprocess.run(
        command, env={**os.environ, "BENCH_API_KEY": key}, capture_output=True, text=True
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out.stdout).group(1))
    value, unit = re.search(r"50%\s+([\d.]+)(us|ms|s)", out.stdout).groups()
    p50 = float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    if "Non-2xx" in out.stdout:
        raise RuntimeError("wrk saw non-2xx answers:\n" + out.stdout)
    return rate, p50


def outbox_cost(platform, receiver, base: str, seconds: int) -> dict[str, tuple[float, float]]:
    _plain, plain_key = platform.tenant(None)
    _hooked, hooked_key = platform.tenant(receiver.url("cost"))
    runs: dict[str, list[tuple[float, float]]] = {"no webhook": [], "subscribed webhook": []}
    wrk(base, plain_key, 2)  # Warm-up.
    for _round in range(2):  # Alternate, so drift hits both cases alike.
        runs["no webhook"].append(wrk(base, plain_key, seconds))
        runs["subscribed webhook"].append(wrk(base, hooked_key, seconds))
    return {
        name: (statistics.mean(r for r, _ in values), statistics.mean(p for _, p in values))
        for name, values in runs.items()
    }


def _slowdown(cost: dict[str, tuple[float, float]]) -> float:
    plain, hooked = cost["no webhook"], cost["subscribed webhook"]
    return (plain[0] - hooked[0]) / plain[0] * 100


def _report(args, drains: dict[int, dict], lat: list[float], cost: dict, busy: dict) -> None:
    print("\nWebhook benchmark (PostgreSQL, production settings)")
    for n, drain in drains.items():
        label = f"drain {args.events} events, {n} worker{'s' if n > 1 else ''}"
        cpu = "  ".join(f"{name} {us:4.0f}" for name, us in drain["cpu_us"].items())
        print(f"  {label:<34} {drain['rate']:6.0f} deliveries/s   CPU µs/delivery: {cpu}")
    if lat:
        p50, p99 = lat[len(lat) // 2], lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(f"  end-to-end latency, idle queue     p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")
    for label, figures in (("no worker", cost), ("worker busy", busy)):
        for name, (rate, median) in figures.items():
            line = f"POST /users, {label}, {name}"
            print(f"  {line:<48} {rate:6.0f} req/s   p50 {median:6.1f} ms")
    if busy:
        print(f"  slowdown with a worker delivering alongside: {_slowdown(busy):+.1f} %")
    print("\nTargets")
    if 2 in drains:
        verdict = "PASS" if drains[2]["rate"] >= 500 else "MISS"
        print(f"  >= 500 deliveries/s with 2 workers   {verdict}")
    if lat:
        print(f"  p50 latency < 100 ms                 {'PASS' if p50 < 100 else 'MISS'}")
    if cost:
        slowdown = _slowdown(cost)
        verdict = "PASS" if slowdown <= 10 else "MISS"
        print(f"  subscribed webhook costs <= 10 %     {verdict} ({slowdown:+.1f} %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10, help="per wrk run")
    parser.add_argument("--concurrency", type=int, default=16, help="sends per worker")
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1, 2], help="worker counts to drain with"
    )
    parser.add_argument(
        "--drain-only", action="store_true", help="skip the latency and outbox-cost parts"
    )
    args = parser.parse_args()

    lat: list[float] = []
    cost: dict = {}
    busy: dict = {}
    with PostgresServer() as pg, tempfile.TemporaryDirectory() as tmp:
        receiver = Receiver().start()
        say(f"PostgreSQL on port {pg.port}; receiver on {receiver.port}")
        platform = Platform(pg.url, Path(tmp), args.concurrency)
        drains = {n: throughput(platform, receiver, pg, n, args.events) for n in args.workers}
        if not args.drain_only:
            with platform.web() as base:
                with platform.workers(1):
                    say("latency: sequential POST /api/v1/users, idle queue, 1 worker")
                    lat = latency(platform, receiver, base, args.samples)
                say("outbox cost: wrk POST /api/v1/users, no worker running")
                cost = outbox_cost(platform, receiver, base, args.seconds)
                with platform.workers(1):
                    say("outbox cost again, one worker delivering alongside")
                    busy = outbox_cost(platform, receiver, base, args.seconds)
        receiver.stop()
    _report(args, drains, lat, cost, busy)


if __name__ == "__main__":
    main()
