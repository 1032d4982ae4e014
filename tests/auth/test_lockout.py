"""Brute-force protection: lockouts per account and per end-user IP, in the database and in Redis."""

from __future__ import annotations

import pytest

from authsvc.auth import service as auth_service
from tests.auth.conftest import PASSWORD, TenantApp
from tests.sql import statements


@pytest.fixture
def lockout_app(store_app):
    """A tenant app whose counters live in the database, or in a real Redis server."""
    return store_app


@pytest.fixture
def guarded(lockout_app, make_tenant, make_key):
    from tests.conftest import ApiClient

    tenant = make_tenant(settings={"auth": {"lockout_threshold": 3}})
    client = ApiClient(lockout_app.test_client(), make_key(tenant), *tenant)
    tenant_app = TenantApp(client, tenant)
    user = tenant_app.signup("target@example.com", username="target")
    return tenant_app, user


def test_lockout_after_threshold_answers_429_before_hashing(guarded, monkeypatch):
    tenant_app, _user = guarded
    for _ in range(3):
        assert tenant_app.login("target@example.com", "wrong password!").status_code == 401
    calls = []
    monkeypatch.setattr(auth_service, "verify_password", lambda *a: calls.append(a) or True)
    locked = tenant_app.login("target", PASSWORD, field="username")
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 60
    assert calls == [], "a locked attempt must not hash a password"


def test_lock_emits_an_event_and_an_admin_unlock_restores_access(guarded):
    tenant_app, user = guarded
    for _ in range(3):
        tenant_app.login("target@example.com", "wrong password!")
    assert tenant_app.login("target@example.com").status_code == 429
    events = tenant_app.client.get("/audit", query_string={"action": "user.locked"}).json["items"]
    assert [e["target_id"] for e in events] == [user["id"]]
    assert tenant_app.client.post(f"/users/{user['id']}/unlock").status_code == 204
    assert tenant_app.login("target@example.com").status_code == 200


def test_one_attacker_ip_does_not_lock_out_the_tenant_app(guarded):
    """The attacker's end-user IP is locked; other users behind the same app still sign in."""
    tenant_app, _user = guarded
    tenant_app.signup("bystander@example.com")
    attacker = {"headers": {"X-End-User-IP": "198.51.100.66"}}
    # Per IP the threshold is five times the per-account one (NATs hold many users).
    for number in range(15):
        victim = f"victim{number}@example.com"
        tenant_app.client.post(
            "/auth/login", json={"email": victim, "password": "guess"}, **attacker
        )
    blocked = tenant_app.client.post(
        "/auth/login", json={"email": "bystander@example.com", "password": PASSWORD}, **attacker
    )
    assert blocked.status_code == 429
    fine = tenant_app.client.post(
        "/auth/login",
        json={"email": "bystander@example.com", "password": PASSWORD},
        headers={"X-End-User-IP": "203.0.113.10"},
    )
    assert fine.status_code == 200


def test_lockouts_grow(guarded, lockout_app):
    tenant_app, _user = guarded
    for _ in range(3):
        tenant_app.login("target@example.com", "wrong password!")
    first = int(tenant_app.login("target@example.com").headers["Retry-After"])
    with lockout_app.app_context():
        from authsvc.tenancy import tenant_context

        with tenant_context(tenant_app.tenant_id):
            # Let the first lockout run out, as if a minute had passed.
            _expire_lock()
    for _ in range(3):
        tenant_app.login("target@example.com", "wrong password!")
    second = int(tenant_app.login("target@example.com").headers["Retry-After"])
    assert first <= 60 < second <= 120


def _expire_lock() -> None:
    from authsvc.cache import caches
    from authsvc.extensions import db
    from authsvc.kv import redis_client

    # A minute on, the locks this process remembered (for 2 s at most) are forgotten too.
    caches.clear("auth.locks")

    client = redis_client()
    if client is not None:
        for key in client.scan_iter("authsvc:throttle:*"):
            if client.hget(key, "locked_until"):
                client.hset(key, "locked_until", 0)
        return
    import sqlalchemy as sa

    from authsvc.auth.models import LoginThrottle

    db.session.execute(sa.update(LoginThrottle).values(locked_until=None))
    db.session.commit()


def test_public_flows_are_rate_limited_per_end_user_ip(app, tenant_app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_FORGOT_PASSWORD", "2/hour")
    one_ip = {"X-End-User-IP": "198.51.100.20"}
    for _ in range(2):
        ok = tenant_app.client.post(
            "/auth/forgot-password", json={"email": "x@example.com"}, headers=one_ip
        )
        assert ok.status_code == 202
    limited = tenant_app.client.post(
        "/auth/forgot-password", json={"email": "x@example.com"}, headers=one_ip
    )
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert limited.headers["X-RateLimit-Limit"] == "2"  # the flow's own, stricter limit
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    other_ip = {"X-End-User-IP": "198.51.100.21"}
    response = tenant_app.client.post(
        "/auth/forgot-password", json={"email": "x@example.com"}, headers=other_ip
    )
    assert response.status_code == 202


def test_logout_denylist_works_in_redis_too(lockout_app, make_tenant, make_key):
    from tests.conftest import ApiClient

    tenant = make_tenant()
    tenant_app = TenantApp(ApiClient(lockout_app.test_client(), make_key(tenant), *tenant), tenant)
    tenant_app.signup("out@example.com")
    pair = tenant_app.tokens("out@example.com")
    assert tenant_app.as_user("post", "/auth/logout", pair["access_token"]).status_code == 204
    assert tenant_app.as_user("get", "/me", pair["access_token"]).status_code == 401
    validate = lockout_app.test_client().get(
        "/api/v1/auth/validate", headers={"Authorization": f"Bearer {pair['access_token']}"}
    )
    assert validate.status_code == 401


# Remembered for 10 s (the most allowed) rather than 2: a loaded machine may pause
# longer than 2 s between two logins.
@pytest.mark.app_settings(AUTH_LOCK_MEMORY_SECONDS=10)
def test_a_lock_this_process_saw_refuses_without_a_query(guarded, lockout_app):
    """Repeated attempts on a locked account cost no database work (nor hashing)."""

    tenant_app, _user = guarded
    for _ in range(3):
        tenant_app.login("target@example.com", "wrong password!")
    assert tenant_app.login("target@example.com").status_code == 429  # seen, remembered
    with statements(lockout_app) as sent:
        again = tenant_app.login("TARGET@example.com")
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0
    assert [s for s in sent if "login_throttles" in s or "FROM users" in s] == []
