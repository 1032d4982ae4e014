"""Revocation across real processes: two ``authsvc serve`` on one PostgreSQL (and one Redis).

With Redis, a session, an API key or a tenant revoked through one process is
refused by the other on the very next request; each case runs for several
rounds, so a race would show. Without Redis, the other process refuses once
the documented bound (``AUTH_DENYLIST_POLL_SECONDS``, short here) has passed,
and the revoking process at once.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from authsvc.tenants.service import deactivate_tenant, get_tenant
from tests.auth.conftest import PASSWORD
from tests.conftest import make_app, unique

pytestmark = pytest.mark.postgres_only

ROUNDS = 20
#: Without Redis: the denylist answer cache, and the key and tenant caches, in seconds.
BOUND_SECONDS = 1
START_SECONDS = 120
SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(database_url: str, instance: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSVC_")}
    env.update(
        AUTHSVC_ENV="production",
        AUTHSVC_SECRET_KEY=SECRET_KEY,
        AUTHSVC_DATABASE_URL=database_url,
        AUTHSVC_INSTANCE_PATH=str(instance),
        # Both processes issue and check the same tokens: one issuer.
        AUTHSVC_BASE_URL="http://authsvc.test",
        AUTHSVC_LOG_LEVEL="WARNING",
        AUTHSVC_EMBEDDED_WORKER="false",
        AUTHSVC_RATELIMIT_DEFAULT="100000/minute",
        AUTHSVC_RATELIMIT_LOGIN="100000/minute",
        AUTHSVC_RATELIMIT_LOGIN_PER_ACCOUNT="100000/minute",
        AUTHSVC_RATELIMIT_REFRESH="100000/minute",
        AUTHSVC_RATELIMIT_REGISTER="100000/hour",
        **{f"AUTHSVC_{name}": value for name, value in settings.items()},
    )
    return env


@contextmanager
def _serve(name: str, env: dict[str, str], logs: Path) -> Iterator[httpx.Client]:
    """``authsvc serve`` with one gunicorn worker, until the block ends."""
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("authsvc")),
        "serve",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    log_path = logs / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def _pair(env: dict[str, str], logs: Path) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    with _serve("a", env, logs) as first, _serve("b", env, logs) as second:
        yield first, second


@pytest.fixture(scope="module")
def redis_pair(app, database_url, redis_url, tmp_path_factory):
    """Processes A and B on one PostgreSQL and one Redis."""
    instance = tmp_path_factory.mktemp("redis-pair")
    with _pair(_environment(database_url, instance, REDIS_URL=redis_url), instance) as pair:
        yield pair


@pytest.fixture(scope="module")
def database_pair(app, database_url, tmp_path_factory):
    """Processes A and B on one PostgreSQL, no Redis, with short cache bounds."""
    instance = tmp_path_factory.mktemp("database-pair")
    bound = str(BOUND_SECONDS)
    env = _environment(
        database_url,
        instance,
        AUTH_DENYLIST_POLL_SECONDS=bound,
        APIKEYS_CACHE_TTL_SECONDS=bound,
        CACHE_TTL_SECONDS=bound,
    )
    with _pair(env, instance) as pair:
        yield pair


@pytest.fixture(scope="module")
def redis_revoker(app, database_url, redis_url, tmp_path_factory):
    """A third process's app (like the CLI's): deactivates tenants on the same stores."""
    instance = make_app(
        database_url, tmp_path_factory.mktemp("revoker"), REDIS_URL=redis_url, SECRET_KEY=SECRET_KEY
    )
    yield instance
    instance.extensions["authsvc.cache"].close()
    make_app(database_url, tmp_path_factory.mktemp("reset"))  # the limiter is process-wide


def _call(process: httpx.Client, method: str, path: str, key=None, token=None, **kwargs):
    headers = {}
    if key is not None:
        headers["X-API-Key"] = key
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return process.request(method, f"/api/v1{path}", headers=headers, **kwargs)


def _validate(process: httpx.Client, token: str) -> int:
    return _call(process, "GET", "/auth/validate", token=token).status_code


def _me(process: httpx.Client, token: str) -> int:
    return _call(process, "GET", "/me", token=token).status_code


def _signup(process: httpx.Client, key: str) -> str:
    email = f"{unique('roam')}@example.com"
    body = {"email": email, "password": PASSWORD}
    response = _call(process, "POST", "/auth/register", key=key, json=body)
    assert response.status_code == 201, response.text
    return email


def _sign_in(process: httpx.Client, key: str, email: str) -> str:
    body = {"email": email, "password": PASSWORD}
    response = _call(process, "POST", "/auth/login", key=key, json=body)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def _tenant_with_key(make_tenant, make_key) -> tuple[tuple, str]:
    tenant = make_tenant()
    return tenant, make_key(tenant)


def test_is_a_session_revoked_through_a_refused_by_b_on_the_very_next_request(
    redis_pair, make_tenant, make_key
):
    first, second = redis_pair
    _tenant, key = _tenant_with_key(make_tenant, make_key)
    email = _signup(first, key)
    for round_ in range(ROUNDS):
        gone, kept = _sign_in(first, key, email), _sign_in(first, key, email)
        # B has verified the token and looked up its tenant: everything it caches is warm.
        assert (_validate(second, gone), _me(second, gone)) == (200, 200)
        assert _call(first, "DELETE", "/me/sessions", token=kept).status_code == 204
        assert _validate(second, gone) == 401, f"round {round_}"
        assert _me(second, gone) == 401, f"round {round_}"
        assert _validate(second, kept) == 200, f"round {round_}: only the other session ends"


def test_is_an_api_key_revoked_through_a_refused_by_b_on_the_very_next_request(
    redis_pair, make_tenant, make_key
):
    first, second = redis_pair
    _tenant, admin_key = _tenant_with_key(make_tenant, make_key)
    for round_ in range(ROUNDS):
        body = {"name": f"temp-{round_}", "scopes": ["users:read"]}
        created = _call(first, "POST", "/api-keys", key=admin_key, json=body).json()
        assert _call(second, "GET", "/users", key=created["key"]).status_code == 200
        deleted = _call(first, "DELETE", f"/api-keys/{created['id']}", key=admin_key)
        assert deleted.status_code == 204
        assert _call(second, "GET", "/users", key=created["key"]).status_code == 401, (
            f"round {round_}"
        )


def test_is_a_deactivated_tenant_refused_by_every_process_on_the_very_next_request(
    redis_pair, redis_revoker, make_tenant, make_key
):
    first, second = redis_pair
    for round_ in range(ROUNDS):
        tenant, key = _tenant_with_key(make_tenant, make_key)
        token = _sign_in(first, key, _signup(first, key))
        for process in (first, second):
            assert (_validate(process, token), _me(process, token)) == (200, 200)
            assert _call(process, "GET", "/users", key=key).status_code == 200
        with redis_revoker.app_context():
            deactivate_tenant(get_tenant(tenant[0]), actor="test")
        for process in (first, second):
            assert _validate(process, token) == 401, f"round {round_}"
            assert _me(process, token) == 401, f"round {round_}"
            assert _call(process, "GET", "/users", key=key).status_code == 401, f"round {round_}"


def _after_the_bound() -> None:
    """Every answer cached before the revocation has expired (plus room for rounding)."""
    time.sleep(BOUND_SECONDS + 0.5)


def test_without_redis_is_a_revoked_session_refused_by_b_after_the_bound(
    database_pair, make_tenant, make_key
):
    first, second = database_pair
    _tenant, key = _tenant_with_key(make_tenant, make_key)
    email = _signup(first, key)
    gone, kept = _sign_in(first, key, email), _sign_in(first, key, email)
    assert (_validate(first, gone), _validate(second, gone)) == (200, 200)
    assert _call(first, "DELETE", "/me/sessions", token=kept).status_code == 204
    assert _validate(first, gone) == 401, "the revoking process refuses at once"
    _after_the_bound()
    assert (_validate(second, gone), _me(second, gone)) == (401, 401)
    assert _validate(second, kept) == 200


def test_without_redis_is_a_revoked_api_key_refused_by_b_after_the_bound(
    database_pair, make_tenant, make_key
):
    first, second = database_pair
    _tenant, admin_key = _tenant_with_key(make_tenant, make_key)
    body = {"name": "temp", "scopes": ["users:read"]}
    created = _call(first, "POST", "/api-keys", key=admin_key, json=body).json()
    for process in (first, second):
        assert _call(process, "GET", "/users", key=created["key"]).status_code == 200
    assert _call(first, "DELETE", f"/api-keys/{created['id']}", key=admin_key).status_code == 204
    assert _call(first, "GET", "/users", key=created["key"]).status_code == 401
    _after_the_bound()
    assert _call(second, "GET", "/users", key=created["key"]).status_code == 401


def test_without_redis_is_a_deactivated_tenant_refused_everywhere_after_the_bound(
    app, database_pair, make_tenant, make_key
):
    first, second = database_pair
    tenant, key = _tenant_with_key(make_tenant, make_key)
    token = _sign_in(first, key, _signup(first, key))
    for process in (first, second):
        assert _validate(process, token) == 200
        assert _call(process, "GET", "/users", key=key).status_code == 200
    with app.app_context():  # this test process, without Redis, like the CLI
        deactivate_tenant(get_tenant(tenant[0]), actor="test")
    _after_the_bound()
    for process in (first, second):
        assert (_validate(process, token), _me(process, token)) == (401, 401)
        assert _call(process, "GET", "/users", key=key).status_code == 401
