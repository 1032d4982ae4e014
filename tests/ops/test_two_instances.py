"""Two ``authsvc serve`` instances and ``authsvc worker`` processes on one PostgreSQL and Redis.

Revocation across instances is proven in ``tests/auth/test_denylist_propagation.py``
(whose process helpers these tests share); here: rate limits and lockouts count
in one place whichever instance a request reaches, webhooks are delivered once
by two workers racing for them, and once per attempt when a worker is killed
mid-send.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.auth.test_denylist_propagation import (
    _call,
    _environment,
    _pair,
    _signup,
)
from tests.conftest import unique

pytestmark = pytest.mark.postgres_only

PASSWORD = "correct horse battery staple"  # tests.auth.conftest.PASSWORD, which _sign_in sends
EVENTS = 12


@pytest.fixture(scope="module")
def environment(app, database_url, redis_url, tmp_path_factory) -> tuple[dict, Path]:
    instance = tmp_path_factory.mktemp("two-instances")
    env = _environment(database_url, instance, REDIS_URL=redis_url)
    env.update(
        AUTHSVC_RATELIMIT_LOGIN="5/minute",
        AUTHSVC_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
        AUTHSVC_WEBHOOK_RETRY_SCHEDULE="0,0,0",
        # Longer than the receiver's scripted hang: a hung send is in flight, not timed out.
        AUTHSVC_WEBHOOKS_TIMEOUT_SECONDS="5",
        AUTHSVC_WEBHOOKS_CONNECT_TIMEOUT_SECONDS="1",
        AUTHSVC_WEBHOOKS_POLL_SECONDS="0.2",
    )
    return env, instance


@pytest.fixture(scope="module")
def instances(environment):
    env, logs = environment
    with _pair(env, logs) as pair:
        yield pair


@contextmanager
def _worker(name: str, env: dict, logs: Path) -> Iterator[subprocess.Popen]:
    command = [str(Path(sys.executable).with_name("authsvc")), "worker"]
    with (logs / f"worker-{name}.log").open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def _tenant_key(make_tenant, make_key) -> str:
    return make_key(make_tenant())


def _failed_login(process, key: str, email: str) -> int:
    body = {"email": email, "password": "not the password"}
    return _call(process, "POST", "/auth/login", key=key, json=body).status_code


def test_the_login_rate_limit_counts_across_instances(instances, make_tenant, make_key):
    """Five sign-ins a minute per tenant and address: the sixth is refused on either."""
    first, second = instances
    key = _tenant_key(make_tenant, make_key)
    answers = [_failed_login((first, second)[n % 2], key, "x@example.com") for n in range(6)]
    assert answers == [401] * 5 + [429]
    assert _failed_login(first, key, "x@example.com") == 429


def test_a_lockout_on_one_instance_refuses_the_account_on_the_other(
    instances, make_tenant, make_key
):
    first, second = instances
    key = _tenant_key(make_tenant, make_key)
    policy = {"settings": {"auth": {"lockout_threshold": 3}}}
    assert _call(first, "PATCH", "/tenant", key=key, json=policy).status_code == 200
    email = _signup(first, key)
    assert [_failed_login(p, key, email) for p in (first, second, first)] == [401] * 3
    right = {"email": email, "password": PASSWORD}
    assert _call(second, "POST", "/auth/login", key=key, json=right).status_code == 429


def _hooked(first, second, key: str, receiver, path: str) -> list[str]:
    """A webhook on A, then EVENTS users created through B; their user ids."""
    hook = {"url": receiver.url(path), "event_types": ["user.created"]}
    assert _call(first, "POST", "/webhooks", key=key, json=hook).status_code == 201
    ids = []
    for _ in range(EVENTS):
        body = {"email": f"{unique('hook')}@example.com"}
        ids.append(_call(second, "POST", "/users", key=key, json=body).json()["id"])
    return ids


def _deliveries_by_event(receiver, path: str) -> Counter:
    return Counter(r.headers["webhook-id"] for r in receiver.at(path))


def test_two_workers_deliver_each_event_once(
    instances, environment, make_tenant, make_key, receiver
):
    first, second = instances
    env, logs = environment
    key = _tenant_key(make_tenant, make_key)
    path = unique("once")
    with _worker("a", env, logs), _worker("b", env, logs):
        _hooked(first, second, key, receiver, path)
        receiver.wait_for(path, EVENTS, timeout=60)
        time.sleep(2)  # long enough for a duplicate to show up
    counts = _deliveries_by_event(receiver, path)
    assert len(counts) == EVENTS and set(counts.values()) == {1}


def test_a_worker_killed_mid_send_loses_no_event(
    instances, environment, make_tenant, make_key, receiver
):
    """Its leases run out and the other worker sends what it had: once per attempt."""
    first, second = instances
    env, logs = environment
    key = _tenant_key(make_tenant, make_key)
    path = unique("killed")
    receiver.script(path, hang=2, times=EVENTS)
    with _worker("doomed", env, logs) as doomed:
        _hooked(first, second, key, receiver, path)
        deadline = time.monotonic() + 30
        while receiver.arrivals == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    with _worker("survivor", env, logs):
        deadline = time.monotonic() + 90  # leases of the killed worker run out first
        while len(_deliveries_by_event(receiver, path)) < EVENTS:
            assert time.monotonic() < deadline, _deliveries_by_event(receiver, path)
            time.sleep(0.2)
    counts = _deliveries_by_event(receiver, path)
    assert len(counts) == EVENTS and max(counts.values()) <= 2
