"""Revocation in the process that made it: sessions, tenants, and when Redis misbehaves.

Each test runs with the database denylist (with a long answer cache, so nothing
here can pass by waiting for it) and with a real Redis. Across processes:
tests/auth/test_denylist_propagation.py.
"""

from __future__ import annotations

import socket

import pytest
from flask_migrate import upgrade

from authsvc.tenants.service import get_tenant, update_tenant
from tests.auth.conftest import TenantApp
from tests.conftest import ApiClient, make_app
from tests.sql import statements


@pytest.fixture(params=["database", "redis"])
def store_app(request, app, database_url, tmp_path):
    """The app with its denylist in the database, or in a real Redis server."""
    extra = {"AUTH_DENYLIST_POLL_SECONDS": 60}
    if request.param == "redis":
        extra["REDIS_URL"] = request.getfixturevalue("redis_url")
    instance = make_app(database_url, tmp_path, **extra)
    with instance.app_context():
        upgrade()
    yield instance
    instance.extensions["authsvc.cache"].close()
    make_app(database_url, tmp_path)  # the limiter is process-wide: back to memory storage


@pytest.fixture
def signed_in(store_app, make_tenant, make_key):
    tenant = make_tenant()
    tenant_app = TenantApp(ApiClient(store_app.test_client(), make_key(tenant), *tenant), tenant)
    tenant_app.signup("rev@example.com")
    return tenant_app, tenant_app.tokens("rev@example.com")["access_token"]


def _validate(instance, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return instance.test_client().get("/api/v1/auth/validate", headers=headers).status_code


def _set_active(instance, tenant_id, active: bool) -> None:
    with instance.app_context():
        update_tenant(get_tenant(tenant_id), {"is_active": active}, actor="test")


def test_is_a_deactivated_tenants_token_refused_on_the_very_next_request(store_app, signed_in):
    tenant_app, token = signed_in
    assert _validate(store_app, token) == 200
    assert tenant_app.as_user("get", "/me", token).status_code == 200
    _set_active(store_app, tenant_app.tenant_id, False)
    assert _validate(store_app, token) == 401
    assert tenant_app.as_user("get", "/me", token).status_code == 401
    assert tenant_app.client.get("/users").status_code == 401  # and its API key


def test_does_reactivating_a_tenant_accept_its_tokens_again(store_app, signed_in):
    tenant_app, token = signed_in
    _set_active(store_app, tenant_app.tenant_id, False)
    assert _validate(store_app, token) == 401
    _set_active(store_app, tenant_app.tenant_id, True)
    assert _validate(store_app, token) == 200
    assert tenant_app.client.get("/users").status_code == 200


def test_does_the_revoking_process_forget_a_cached_not_revoked_answer(store_app, signed_in):
    """The answer cache (60 s here) must not delay a revocation made in this process."""
    tenant_app, token = signed_in
    assert _validate(store_app, token) == 200
    assert tenant_app.as_user("get", "/me", token).status_code == 200
    assert tenant_app.as_user("post", "/auth/logout", token).status_code == 204
    assert _validate(store_app, token) == 401
    assert tenant_app.as_user("get", "/me", token).status_code == 401


def test_does_signing_out_refuse_every_token_of_the_session_not_only_the_one_sent(
    store_app, signed_in
):
    """A session's tokens are revoked with the session, never one by one (their jti)."""
    tenant_app, first = signed_in
    second = tenant_app.tokens("rev@example.com")  # another session: must stay usable
    pair = tenant_app.client.post(
        "/auth/refresh",
        json={"refresh_token": tenant_app.tokens("rev@example.com")["refresh_token"]},
    ).json
    refreshed = tenant_app.client.post(
        "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    ).json["access_token"]
    assert _validate(store_app, pair["access_token"]) == 200
    assert tenant_app.as_user("post", "/auth/logout", refreshed).status_code == 204
    # The older token of the same session was never sent to /auth/logout.
    assert _validate(store_app, pair["access_token"]) == 401
    assert _validate(store_app, refreshed) == 401
    assert _validate(store_app, first) == 200
    assert _validate(store_app, second["access_token"]) == 200


def test_does_a_fresh_token_of_a_checked_session_cost_no_revocation_lookup(store_app, signed_in):
    """Without Redis the session's cached answer covers its next tokens (no query)."""
    if store_app.config.get("REDIS_URL"):
        pytest.skip("with Redis every check is one round trip, never a query")
    tenant_app, _token = signed_in
    pair = tenant_app.tokens("rev@example.com")
    assert _validate(store_app, pair["access_token"]) == 200  # session and tenant cached
    fresh = tenant_app.client.post(
        "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    ).json["access_token"]
    with statements(store_app) as sent:
        assert _validate(store_app, fresh) == 200
    assert not [s for s in sent if "revoked_tokens" in s], sent


def test_does_a_revoked_api_key_stop_at_once_though_its_lookup_is_cached(
    store_app, signed_in, make_key
):
    tenant_app, _token = signed_in
    admin = tenant_app.client
    created = admin.post("/api-keys", json={"name": "temp", "scopes": ["users:read"]}).json
    client = store_app.test_client()
    headers = {"X-API-Key": created["key"]}
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    assert admin.delete(f"/api-keys/{created['id']}").status_code == 204
    assert client.get("/api/v1/users", headers=headers).status_code == 401


@pytest.mark.parametrize("store_app", ["redis"], indirect=True)
def test_does_a_revocation_survive_redis_losing_its_data(store_app, signed_in):
    """Redis restarted empty: the first check copies the entries back from the database."""
    from authsvc.kv import redis_client
    from authsvc.tokens import denylist

    tenant_app, token = signed_in
    assert tenant_app.as_user("post", "/auth/logout", token).status_code == 204
    with store_app.app_context():
        client = redis_client()
        lost = [*client.scan_iter(match=denylist.PREFIX + "*"), denylist.RESTORED]
        client.delete(*lost)
    assert _validate(store_app, token) == 401
    with store_app.app_context():
        assert redis_client().exists(denylist.RESTORED)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("store_app", ["redis"], indirect=True)
def test_does_a_check_that_cannot_reach_redis_still_refuse_a_revoked_token(
    store_app, signed_in, database_url, tmp_path
):
    """Redis out: the database, which holds every committed revocation, answers instead."""
    tenant_app, gone = signed_in
    kept = tenant_app.tokens("rev@example.com")["access_token"]
    assert tenant_app.as_user("post", "/auth/logout", gone).status_code == 204
    broken = make_app(
        database_url, tmp_path / "broken", REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0"
    )
    try:
        assert _validate(broken, gone) == 401
        assert _validate(broken, kept) == 200
        _set_active(store_app, tenant_app.tenant_id, False)
        assert _validate(broken, kept) == 401
    finally:
        broken.extensions["authsvc.cache"].close()


def test_does_a_deactivation_that_redis_cannot_record_leave_the_tenant_active(
    app, database_url, make_tenant, tmp_path
):
    """The change and its denylist entry commit together, or neither does (503)."""
    from authsvc.errors import ServiceUnavailable

    tenant = make_tenant()
    broken = make_app(
        database_url, tmp_path / "broken", REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0"
    )
    try:
        with broken.app_context(), pytest.raises(ServiceUnavailable):
            update_tenant(get_tenant(tenant[0]), {"is_active": False}, actor="test")
    finally:
        broken.extensions["authsvc.cache"].close()
        make_app(database_url, tmp_path)
    with app.app_context():
        assert get_tenant(tenant[0]).is_active is True
