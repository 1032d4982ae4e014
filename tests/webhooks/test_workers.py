"""``authsvc worker`` processes on PostgreSQL: sharing work, crashing, stopping, waking up.

These run real worker subprocesses against the test PostgreSQL server and a
receiver in the test process.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest

from tests.webhooks.conftest import create_webhook, deliveries

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def start_worker(app, tmp_path):
    """Start ``authsvc worker`` subprocesses on the app's database; all are killed at the end."""
    processes: list[subprocess.Popen] = []

    def start(**settings) -> subprocess.Popen:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSVC_")}
        env.update(
            AUTHSVC_ENV="testing",
            AUTHSVC_DATABASE_URL=app.config["DATABASE_URL"],
            AUTHSVC_SECRET_KEY=app.config["SECRET_KEY"],
            AUTHSVC_INSTANCE_PATH=str(tmp_path),
            AUTHSVC_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
            AUTHSVC_WEBHOOK_RETRY_SCHEDULE="0,0,0",
            AUTHSVC_WEBHOOKS_TIMEOUT_SECONDS="1",
            AUTHSVC_WEBHOOKS_POLL_SECONDS="0.5",
        )
        env.update({f"AUTHSVC_{k}": str(v) for k, v in settings.items()})
        with (tmp_path / f"worker-{len(processes)}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "authsvc.cli", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _create_users(hooks, count: int, prefix: str) -> None:
    for i in range(count):
        assert hooks.post("/users", json={"email": f"{prefix}{i}@example.com"}).status_code == 201


def _all_ids(hooks) -> set[str]:
    ids, cursor = set(), None
    while True:
        query = {"type": "user.created", "limit": 200, **({"cursor": cursor} if cursor else {})}
        page = hooks.get("/events", query_string=query).json
        ids |= {event["id"] for event in page["items"]}
        cursor = page["next_cursor"]
        if not cursor:
            return ids


def test_two_workers_never_deliver_the_same_attempt_twice(hooks, receiver, start_worker):
    hook = create_webhook(hooks, receiver.url("shared"), event_types=["user.created"])
    receiver.script("shared", hang=0.01, times=None)
    workers = [start_worker(), start_worker()]
    _create_users(hooks, 80, "two")
    _wait(lambda: len(receiver.at("shared")) >= 80, 60, "80 deliveries")
    time.sleep(1)  # Anything sent twice would arrive by now.
    counts = Counter(r.headers["webhook-id"] for r in receiver.at("shared"))
    assert set(counts) == _all_ids(hooks)
    assert max(counts.values()) == 1
    assert all(w.poll() is None for w in workers), "both workers are still running"
    rows = hooks.get(f"/webhooks/{hook['id']}/deliveries", query_string={"limit": 200}).json
    assert {(r["state"], r["attempt"]) for r in rows["items"]} == {("succeeded", 1)}


def test_a_worker_killed_mid_batch_loses_nothing_once_another_takes_over(
    hooks, receiver, start_worker
):
    create_webhook(hooks, receiver.url("crash"), event_types=["user.created"])
    receiver.script("crash", hang=0.1, times=None)
    _create_users(hooks, 40, "crash")
    first = start_worker()
    _wait(lambda: len(receiver.at("crash")) >= 10, 30, "the first deliveries")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    got_before_restart = len(receiver.at("crash"))
    assert got_before_restart < 40, "the kill came mid-batch"
    start_worker()
    expected = _all_ids(hooks)
    _wait(lambda: {r.headers["webhook-id"] for r in receiver.at("crash")} >= expected, 60, "all")
    counts = Counter(r.headers["webhook-id"] for r in receiver.at("crash"))
    assert set(counts) == expected
    # At least once: only attempts in flight at the kill (per-endpoint cap 4) may repeat.
    assert sum(n - 1 for n in counts.values()) <= 4


def test_sigterm_finishes_deliveries_in_flight_then_exits(hooks, receiver, start_worker):
    hook = create_webhook(hooks, receiver.url("term"))
    receiver.script("term", hang=0.8, times=None)
    _create_users(hooks, 3, "term")
    worker = start_worker(WEBHOOKS_TIMEOUT_SECONDS=5)
    _wait(lambda: receiver.arrivals >= 3, 30, "three requests in flight")
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=20) == 0
    rows = deliveries(hooks, hook["id"])
    assert [r["state"] for r in rows] == ["succeeded"] * 3
    assert len(receiver.at("term")) == 3


def test_listen_notify_wakes_an_idle_worker_long_before_its_poll(hooks, receiver, start_worker):
    create_webhook(hooks, receiver.url("wake"), event_types=["user.created"])
    start_worker(WEBHOOKS_POLL_SECONDS=60)
    time.sleep(3)  # Started, drained and asleep on its 60-second poll.
    sent = time.monotonic()
    _create_users(hooks, 1, "wake")
    _wait(lambda: receiver.at("wake"), 10, "the woken worker")
    assert time.monotonic() - sent < 10
