"""Rate limits: per caller at the tenant's limit, per address and account on the public flows."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from flask_migrate import upgrade

from tests.auth.conftest import PASSWORD
from tests.conftest import make_app, unique

API = "/api/v1"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis_app(app, database_url, redis_url, tmp_path):
    """The app with rate-limit storage in a real Redis server."""
    redis_app = make_app(database_url, tmp_path, REDIS_URL=redis_url)
    with redis_app.app_context():
        upgrade()
    yield redis_app
    # The limiter is process-wide: hand it back to the in-memory storage.
    make_app(database_url, tmp_path)


def _exhaust(client, key: str, limit: int):
    headers = {"X-API-Key": key}
    statuses = [client.get(f"{API}/users", headers=headers).status_code for _ in range(limit)]
    return statuses, client.get(f"{API}/users", headers=headers)


def _from(client, address: str, method: str, path: str, key: str, **kwargs):
    headers = {"X-API-Key": key, **kwargs.pop("headers", {})}
    return client.open(
        f"{API}{path}",
        method=method,
        headers=headers,
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def test_tenant_limit_gives_429_with_retry_after_in_redis(redis_app, make_tenant, make_key):
    tenant = make_tenant(settings={"rate_limit": "3/minute"})
    key = make_key(tenant)
    client = redis_app.test_client()
    statuses, blocked = _exhaust(client, key, 3)
    assert statuses == [200, 200, 200]
    assert blocked.status_code == 429
    assert blocked.content_type == "application/problem+json"
    assert blocked.json["type"] == "urn:authsvc:problem:rate-limited"
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert blocked.headers["X-RateLimit-Limit"] == "3"
    assert blocked.headers["X-RateLimit-Remaining"] == "0"


def test_limits_count_per_key_not_per_tenant_app(redis_app, make_tenant, make_key):
    tenant = make_tenant(settings={"rate_limit": "2/minute"})
    first, second = make_key(tenant), make_key(tenant)
    client = redis_app.test_client()
    _statuses, blocked = _exhaust(client, first, 2)
    assert blocked.status_code == 429
    assert client.get(f"{API}/users", headers={"X-API-Key": second}).status_code == 200


def test_in_memory_default_limit_applies_without_redis(app, make_tenant, make_key):
    tenant = make_tenant(settings={"rate_limit": "2/minute"})
    key = make_key(tenant)
    _statuses, blocked = _exhaust(app.test_client(), key, 2)
    assert blocked.status_code == 429


def test_changing_the_tenant_limit_takes_effect(api_client, make_tenant):
    tenant = make_tenant()
    admin = api_client(tenant, ["admin"])
    assert admin.get("/users").headers["X-RateLimit-Limit"] == "600"
    bad = admin.patch("/tenant", json={"settings": {"rate_limit": "lots"}})
    assert bad.status_code == 422 and "settings.rate_limit" in bad.json["errors"]
    assert admin.patch("/tenant", json={"settings": {"rate_limit": "50/minute"}}).status_code == 200
    assert admin.get("/users").headers["X-RateLimit-Limit"] == "50"


def test_auth_validate_is_never_rate_limited(app, make_tenant, make_key):
    """Reverse proxies call it for every request they forward."""
    tenant = make_tenant(settings={"rate_limit": "1/minute"})
    headers = {"X-API-Key": make_key(tenant), "Authorization": "Bearer not-a-token"}
    client = app.test_client()
    statuses = {client.get(f"{API}/auth/validate", headers=headers).status_code for _ in range(4)}
    assert statuses == {401}
    assert client.get(f"{API}/users", headers=headers).status_code == 200
    assert client.get(f"{API}/users", headers=headers).status_code == 429


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_remaining_counts_down_and_the_reset_is_the_windows_end(
    request, storage, make_tenant, make_key
):
    """X-RateLimit-Remaining after each call, and X-RateLimit-Reset the end of the fixed
    window the first call opened (a minute after it, rounded up to the second).

    The bounds come from that window, not from a second read of the clock: Redis
    reports a window's rest in whole seconds, so there two answers of one window
    may name neighbouring seconds.
    """
    app = request.getfixturevalue("redis_app" if storage == "redis" else "app")
    tenant = make_tenant(settings={"rate_limit": "3/minute"})
    headers = {"X-API-Key": make_key(tenant)}
    client = app.test_client()
    before = time.time()
    answers = [client.get(f"{API}/users", headers=headers) for _ in range(4)]
    after = time.time()
    remaining = [answer.headers["X-RateLimit-Remaining"] for answer in answers]
    assert remaining == ["2", "1", "0", "0"]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    resets = [int(answer.headers["X-RateLimit-Reset"]) for answer in answers]
    # The window opened between `before` and the first answer and lasts 60 s.
    assert all(before + 59 <= reset <= after + 62 for reset in resets), (before, resets)
    assert max(resets) - min(resets) <= (1 if storage == "redis" else 0)


# A second process: builds the app on its own database, creates a keyed tenant
# limited to 3 calls a minute, calls GET /users and prints what it saw.
_PROCESS = """
import json, sys
from flask_migrate import upgrade
from authsvc import create_app
from authsvc.apikeys.service import create_api_key
from authsvc.tenancy import tenant_context
from authsvc.tenants.service import create_tenant

app = create_app(json.loads(sys.argv[1]))
with app.app_context():
    upgrade()
    tenant = create_tenant("limited", "Limited", settings={"rate_limit": "3/minute"})
    with tenant_context(tenant.id):
        _row, key = create_api_key("server", ["users:read"])
client = app.test_client()
calls = [client.get("/api/v1/users", headers={"X-API-Key": key}) for _ in range(int(sys.argv[2]))]
seen = [[c.status_code, c.headers.get("X-RateLimit-Remaining")] for c in calls]
print(json.dumps({"key": key, "seen": seen}))
"""


def _another_process(tmp_path, calls: int, **config) -> dict:
    settings = {
        "ENV": "testing",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}",
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        **config,
    }
    done = subprocess.run(
        [sys.executable, "-c", _PROCESS, json.dumps(settings), str(calls)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_limiter_started_afresh_continues_the_counts_kept_in_redis(
    redis_app, database_url, redis_url, tmp_path, make_tenant, make_key
):
    """What one process counted, another refuses: re-initialising the limiter gives it a
    new Redis connection and nothing in memory, as a second process starts."""
    tenant = make_tenant(settings={"rate_limit": "3/minute"})
    headers = {"X-API-Key": make_key(tenant)}
    first = [redis_app.test_client().get(f"{API}/users", headers=headers) for _ in range(2)]
    assert [answer.headers["X-RateLimit-Remaining"] for answer in first] == ["2", "1"]
    second = make_app(database_url, tmp_path, REDIS_URL=redis_url)
    answers = [second.test_client().get(f"{API}/users", headers=headers) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [200, 429]
    assert answers[0].headers["X-RateLimit-Remaining"] == "0"


def test_limits_keep_counting_in_memory_when_redis_is_unreachable(tmp_path):
    """A storage outage neither fails requests nor lifts the limit.

    In a process of its own: Flask-Limiter remembers a dead storage for a while,
    and this process's limiter serves every other test.
    """
    broken = _another_process(tmp_path, 4, REDIS_URL="redis://127.0.0.1:1/0")
    assert broken["seen"] == [[200, "2"], [200, "1"], [200, "0"], [429, "0"]]


def test_the_per_key_limit_counts_only_server_side_keys(app, make_tenant, make_key):
    """A server-side key counts as one caller wherever it calls from; the shared auth key
    counts per connection address, so one browser cannot use up everyone's calls."""
    tenant = make_tenant(settings={"rate_limit": "2/minute"})
    server, browser = make_key(tenant, ["users:read"]), make_key(tenant, ["auth"])
    client = app.test_client()
    served = [
        _from(client, f"192.0.2.{n}", "GET", "/users", server).status_code for n in range(1, 4)
    ]
    assert served == [200, 200, 429]
    body = {"json": {"token": "not-a-token"}}
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        answers = [_from(client, address, "POST", "/auth/verify-email", browser, **body)]
        answers.append(_from(client, address, "POST", "/auth/verify-email", browser, **body))
        assert 429 not in [answer.status_code for answer in answers]
    third = _from(client, "198.51.100.1", "POST", "/auth/verify-email", browser, **body)
    assert third.status_code == 429


def test_1200_empty_logins_through_the_shared_auth_key_from_one_address_do_not_429_another_address(
    app, make_tenant, make_key
):
    tenant = make_tenant()
    browser, server = make_key(tenant, ["auth"]), make_key(tenant, ["users:write"])
    client = app.test_client()
    email = f"{unique('real')}@example.com"
    signed_up = _from(
        client, "192.0.2.10", "POST", "/users", server, json={"email": email, "password": PASSWORD}
    )
    assert signed_up.status_code == 201, signed_up.json
    flood = [
        _from(client, "198.51.100.66", "POST", "/auth/login", browser).status_code
        for _ in range(1200)
    ]
    assert flood[-1] == 429, "the flooding address is limited"
    real = _from(
        client,
        "203.0.113.5",
        "POST",
        "/auth/login",
        browser,
        json={"email": email, "password": PASSWORD},
    )
    assert real.status_code == 200, real.json


def test_public_flows_count_per_account_whatever_the_address(
    app, make_tenant, make_key, monkeypatch
):
    monkeypatch.setitem(app.config, "RATELIMIT_FORGOT_PASSWORD_PER_ACCOUNT", "2/hour")
    tenant = make_tenant()
    browser = make_key(tenant, ["auth"])
    client = app.test_client()
    victim = {"json": {"email": f"{unique('victim')}@example.com"}}
    asked = [
        _from(client, f"198.51.100.{n}", "POST", "/auth/forgot-password", browser, **victim)
        for n in (11, 12, 13)
    ]
    assert [answer.status_code for answer in asked] == [202, 202, 429]
    assert asked[-1].headers["X-RateLimit-Limit"] == "2"
    other = {"json": {"email": f"{unique('other')}@example.com"}}
    mine = _from(client, "198.51.100.13", "POST", "/auth/forgot-password", browser, **other)
    assert mine.status_code == 202


def test_token_refreshes_count_per_end_user_address(app, make_tenant, make_key, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_REFRESH", "2/minute")
    tenant = make_tenant()
    browser = make_key(tenant, ["auth"])
    client = app.test_client()
    spent = {"json": {"refresh_token": "rt_not-a-token"}}
    statuses = [
        _from(client, "198.51.100.21", "POST", "/auth/refresh", browser, **spent).status_code
        for _ in range(3)
    ]
    assert statuses[-1] == 429 and 429 not in statuses[:2]
    elsewhere = _from(client, "198.51.100.22", "POST", "/auth/refresh", browser, **spent)
    assert elsewhere.status_code != 429
