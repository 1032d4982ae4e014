"""Rate limits per API key, with the per-tenant limit from tenant settings."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from tests.conftest import make_app


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
    statuses = [client.get("/api/v1/users", headers=headers).status_code for _ in range(limit)]
    return statuses, client.get("/api/v1/users", headers=headers)


def test_tenant_limit_gives_429_with_retry_after_in_redis(redis_app, make_tenant, make_key):
    tenant = make_tenant(settings={"rate_limit": "3/minute"})
    key = make_key(tenant)
    client = redis_app.test_client()
    statuses, blocked = _exhaust(client, key, 3)
    assert statuses == [200, 200, 200]
    assert blocked.status_code == 429
    assert blocked.content_type == "application/problem+json"
    assert 0 < int(blocked.headers["Retry-After"]) <= 60
    assert blocked.headers["X-RateLimit-Limit"] == "3"
    assert blocked.headers["X-RateLimit-Remaining"] == "0"


def test_limits_count_per_key_not_per_tenant_app(redis_app, make_tenant, make_key):
    tenant = make_tenant(settings={"rate_limit": "2/minute"})
    first, second = make_key(tenant), make_key(tenant)
    client = redis_app.test_client()
    _statuses, blocked = _exhaust(client, first, 2)
    assert blocked.status_code == 429
    assert client.get("/api/v1/users", headers={"X-API-Key": second}).status_code == 200


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


def test_limits_keep_counting_in_memory_when_redis_is_unreachable(
    app, database_url, make_tenant, make_key, tmp_path
):
    """A storage outage neither fails requests nor lifts the limit."""
    # Nothing listens on port 1: every storage call fails at once.
    broken = make_app(database_url, tmp_path, REDIS_URL="redis://127.0.0.1:1/0")
    try:
        tenant = make_tenant(settings={"rate_limit": "2/minute"})
        statuses, blocked = _exhaust(broken.test_client(), make_key(tenant), 2)
        assert statuses == [200, 200]
        assert blocked.status_code == 429
        assert blocked.headers["X-RateLimit-Remaining"] == "0"
        assert int(blocked.headers["X-RateLimit-Reset"]) > 0
    finally:
        make_app(database_url, tmp_path)


def test_auth_validate_is_never_rate_limited(app, make_tenant, make_key):
    """Reverse proxies call it for every request they forward."""
    tenant = make_tenant(settings={"rate_limit": "1/minute"})
    headers = {"X-API-Key": make_key(tenant), "Authorization": "Bearer not-a-token"}
    client = app.test_client()
    statuses = {client.get("/api/v1/auth/validate", headers=headers).status_code for _ in range(4)}
    assert statuses == {401}
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    assert client.get("/api/v1/users", headers=headers).status_code == 429


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_remaining_counts_down_and_the_reset_is_the_windows_end(
    request, storage, make_tenant, make_key
):
    """X-RateLimit-Remaining after each call, as the storage's counter says (fixed window)."""
    import time

    app = request.getfixturevalue("redis_app" if storage == "redis" else "app")
    tenant = make_tenant(settings={"rate_limit": "3/minute"})
    headers = {"X-API-Key": make_key(tenant)}
    client = app.test_client()
    answers = [client.get("/api/v1/users", headers=headers) for _ in range(4)]
    remaining = [answer.headers["X-RateLimit-Remaining"] for answer in answers]
    assert remaining == ["2", "1", "0", "0"]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    resets = {int(answer.headers["X-RateLimit-Reset"]) for answer in answers}
    assert len(resets) == 1 and time.time() < resets.pop() <= time.time() + 61
