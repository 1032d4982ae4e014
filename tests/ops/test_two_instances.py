"""Two ``authsvc serve`` instances and ``authsvc worker`` processes on one PostgreSQL and Redis.

Revocation across instances is proven in ``tests/auth/test_denylist_propagation.py``
(whose process helpers these tests share); here: rate limits and lockouts count
in one place whichever instance a request reaches, webhooks are delivered once
by two workers racing for them, and once per attempt when a worker is killed
mid-send, an admin signed in through a round-robin proxy is signed in on both,
and a Redis outage costs no request and no event. One pair of instances (and
their own Redis, which the last test stops) serves the whole module: starting
processes is what costs time here.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.admin.conftest import PASSWORD as ADMIN_PASSWORD
from tests.admin.conftest import csrf_token
from tests.auth.test_denylist_propagation import (
    _call,
    _environment,
    _pair,
    _sign_in,
    _signup,
)
from tests.conftest import unique
from tests.ops.proxy import RoundRobinProxy
from tests.servers import RedisServer

pytestmark = [pytest.mark.postgres_only, pytest.mark.slow]

PASSWORD = "correct horse battery staple"  # tests.auth.conftest.PASSWORD, which _sign_in sends
EVENTS = 12


@pytest.fixture(scope="module")
def private_redis() -> Iterator[RedisServer]:
    """This module's own Redis: the outage test stops and restarts it."""
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="module")
def environment(app, database_url, private_redis, tmp_path_factory) -> tuple[dict, Path]:
    instance = tmp_path_factory.mktemp("two-instances")
    env = _environment(database_url, instance, REDIS_URL=private_redis.url)
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


@pytest.fixture(scope="module")
def proxy(instances) -> Iterator[httpx.Client]:
    """A client of the round-robin proxy in front of both instances."""
    backends = [(p.base_url.host, p.base_url.port) for p in instances]
    with RoundRobinProxy(backends) as server, httpx.Client(base_url=server.url) as client:
        client.served = server.served
        yield client


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


def _admin_cookies(proxy, email: str) -> dict[str, str]:
    """Sign in to the panel through the proxy: the form from one instance, the post to the other."""
    page = proxy.get("/admin/login")
    form = {"email": email, "password": ADMIN_PASSWORD, "csrf_token": csrf_token(page.text)}
    signed_in = proxy.post("/admin/login", data=form)
    assert signed_in.status_code == 302, signed_in.text
    assert proxy.served[-2] != proxy.served[-1], "the proxy alternates"
    cookies = dict(proxy.cookies.items())
    proxy.cookies.clear()  # the API calls through the proxy carry no panel session
    return cookies


def _panel(process: httpx.Client, cookies: dict[str, str]) -> httpx.Response:
    header = "; ".join(f"{name}={value}" for name, value in cookies.items())
    return process.get("/admin/tenants", headers={"Cookie": header})


def test_an_admin_signed_in_through_the_proxy_is_signed_in_on_both_instances(
    instances, proxy, make_admin
):
    cookies = _admin_cookies(proxy, make_admin(platform=True))
    for process in instances:
        page = _panel(process, cookies)
        assert page.status_code == 200, page.text
        assert "/admin/logout" in page.text  # the panel itself, not the sign-in form
    # A forged cookie (the real one with its signature altered) is not signed in anywhere.
    session = cookies["session"]
    forged = {"session": session[:-2] + ("A" if session[-2] != "A" else "B") + session[-1]}
    assert [_panel(p, forged).status_code for p in instances] == [302, 302]


def _limit_shared(proxy, make_tenant, make_key) -> bool:
    """Does the sixth failed sign-in, alternating instances, meet the shared limit again?"""
    key = _tenant_key(make_tenant, make_key)
    return [_failed_login(proxy, key, "x@example.com") for _ in range(6)] == [401] * 5 + [429]


def test_a_redis_outage_costs_no_request_and_no_event(
    instances, proxy, environment, private_redis, make_tenant, make_key, make_admin, receiver
):
    """Redis stopped: everything answers; restarted: webhooks go out, limits are shared again."""
    env, logs = environment
    key = _tenant_key(make_tenant, make_key)
    email = _signup(proxy, key)
    token = _sign_in(proxy, key, email)
    cookies = _admin_cookies(proxy, make_admin(platform=True))
    path = unique("outage")
    hook = {"url": receiver.url(path), "event_types": ["user.created"]}
    assert _call(proxy, "POST", "/webhooks", key=key, json=hook).status_code == 201
    with _worker("steady", env, logs):
        private_redis.stop()
        created = []
        for _ in range(4):  # twice on each instance
            assert _call(proxy, "GET", "/auth/validate", token=token).status_code == 200
            assert _failed_login(proxy, key, email) == 401
            assert _call(proxy, "GET", "/me", token=token).status_code == 200
            body = {"email": f"{unique('outage')}@example.com"}
            answer = _call(proxy, "POST", "/users", key=key, json=body)
            assert answer.status_code == 201, answer.text
            created.append(answer.json()["id"])
        assert [_panel(p, cookies).status_code for p in instances] == [200, 200]
        ready = [p.get("/readyz") for p in instances]
        assert [(r.status_code, r.json()["status"]) for r in ready] == [(200, "degraded")] * 2
        private_redis.start()
        delivered = receiver.wait_for(path, len(created), timeout=60)
    assert sorted(json.loads(r.body)["data"]["user"]["id"] for r in delivered) == sorted(created)
    # Flask-Limiter retries its storage after 1, 2, 4, ... seconds of outage.
    deadline = time.monotonic() + 40
    while not _limit_shared(proxy, make_tenant, make_key):
        assert time.monotonic() < deadline, "the login limit is not shared again"
        time.sleep(1)
