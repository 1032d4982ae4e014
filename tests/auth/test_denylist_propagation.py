"""Revocation reaches every process: two app instances share the stores, each with its own copy.

A logout in one instance must be refused by the other within the documented
bound (Redis: the subscriber's staleness bound; database: the poll interval),
and at once by the revoking instance itself.
"""

from __future__ import annotations

import time

import pytest
from flask_migrate import upgrade

from authsvc.tokens import denymirror
from tests.auth.conftest import TenantApp
from tests.conftest import ApiClient, make_app

POLL_SECONDS = 0.2


@pytest.fixture(params=["database", "redis"])
def store(request) -> str:
    return request.param


@pytest.fixture
def two_apps(store, app, database_url, tmp_path, request):
    """Two instances of the app on one database (and one Redis), as two processes would be."""
    extra = {"AUTH_DENYLIST_POLL_SECONDS": POLL_SECONDS}
    if store == "redis":
        extra["REDIS_URL"] = request.getfixturevalue("redis_url")
    first = make_app(database_url, tmp_path / "a", **extra)
    second = make_app(database_url, tmp_path / "b", **extra)
    with first.app_context():
        upgrade()
    yield first, second
    for instance in (first, second):
        mirror = instance.extensions["authsvc.denylist"].get("mirror")
        if mirror is not None and hasattr(mirror, "stop"):
            mirror.stop()
    make_app(database_url, tmp_path)  # the limiter is process-wide: back to memory storage


def _validate(instance, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return instance.test_client().get("/api/v1/auth/validate", headers=headers).status_code


def _bound(store: str) -> float:
    """The documented propagation bound, with room for a slow test machine."""
    if store == "redis":
        return denymirror.REDIS_STALE_SECONDS + 5
    return POLL_SECONDS + 5


def _until_refused(instance, token: str, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    status = _validate(instance, token)
    while status == 200 and time.monotonic() < deadline:
        time.sleep(0.05)
        status = _validate(instance, token)
    return status


def _wait_until_current(instance, seconds: float = 10) -> None:
    """Redis: until the second instance's subscriber answers from memory."""
    with instance.app_context():
        from authsvc.tokens.denylist import _mirror

        mirror = _mirror()
        deadline = time.monotonic() + seconds
        while mirror.check(("x", "y")) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert mirror.check(("x", "y")) is False


@pytest.fixture
def signed_in(two_apps, make_tenant, make_key):
    first, _second = two_apps
    tenant = make_tenant()
    tenant_app = TenantApp(ApiClient(first.test_client(), make_key(tenant), *tenant), tenant)
    tenant_app.signup("roam@example.com")
    return tenant_app, tenant_app.tokens("roam@example.com")


def test_a_logout_in_one_process_is_refused_by_the_other(store, two_apps, signed_in):
    first, second = two_apps
    tenant_app, pair = signed_in
    token = pair["access_token"]
    assert _validate(second, token) == 200  # the other instance has its copy now
    if store == "redis":
        _wait_until_current(second)
    assert tenant_app.as_user("post", "/auth/logout", token).status_code == 204
    assert _validate(first, token) == 401, "the revoking process refuses at once"
    assert _until_refused(second, token, _bound(store)) == 401


def test_a_revoked_session_is_refused_by_the_other_process(store, two_apps, signed_in):
    first, second = two_apps
    tenant_app, pair = signed_in
    token = pair["access_token"]
    assert _validate(second, token) == 200
    if store == "redis":
        _wait_until_current(second)
    # Signing out everywhere else from a second device denylists the first device's session.
    other = tenant_app.tokens("roam@example.com")
    assert tenant_app.as_user("delete", "/me/sessions", other["access_token"]).status_code == 204
    assert _validate(first, token) == 401
    assert _until_refused(second, token, _bound(store)) == 401
    assert _validate(second, other["access_token"]) == 200


@pytest.mark.parametrize("store", ["redis"])
def test_without_a_current_subscription_checks_go_to_redis(two_apps, signed_in, monkeypatch):
    """A copy that cannot prove it is current is not trusted: Redis is asked directly."""
    first, second = two_apps
    tenant_app, pair = signed_in
    token = pair["access_token"]
    _wait_until_current(second)
    with second.app_context():
        from authsvc.tokens.denylist import _mirror

        mirror = _mirror()
    mirror.stop()
    # As if the last PONG were long ago (a silent network failure).
    monkeypatch.setattr(mirror, "last_pong", float("-inf"))
    assert tenant_app.as_user("post", "/auth/logout", token).status_code == 204
    assert _validate(second, token) == 401


@pytest.mark.parametrize("store", ["redis"])
def test_a_current_copy_answers_without_asking_redis(two_apps, signed_in, monkeypatch):
    _first, second = two_apps
    _tenant_app, pair = signed_in
    _wait_until_current(second)
    with second.app_context():
        from authsvc.kv import redis_client

        client = redis_client()

    def refuse(*_args):
        raise AssertionError("the check went to Redis")

    monkeypatch.setattr(client, "exists", refuse)
    assert _validate(second, pair["access_token"]) == 200
