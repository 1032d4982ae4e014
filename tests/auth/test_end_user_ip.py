"""Which end-user address counts: named by a server-side key, the connection's for a browser key."""

from __future__ import annotations

import pytest

from tests.auth.conftest import PASSWORD
from tests.conftest import unique

API = "/api/v1"
# Per IP, a lockout takes five times the account threshold (3, the policy's minimum).
IP_LOCKOUT = 15


@pytest.fixture
def lockable(make_tenant, make_key):
    """A tenant locking after 3 failures (15 per IP), its browser key and a server key."""
    tenant = make_tenant(settings={"auth": {"lockout_threshold": 3}})
    return tenant, make_key(tenant, ["auth"]), make_key(tenant, ["users:write", "auth"])


def _post(client, path: str, key: str, address: str, **kwargs):
    return client.post(
        f"{API}{path}",
        headers={"X-API-Key": key, **kwargs.pop("headers", {})},
        environ_base={"REMOTE_ADDR": address},
        **kwargs,
    )


def _guess(client, key: str, address: str, named_ip: str, **extra):
    body = {"email": f"{unique('victim')}@example.com", "password": "guess", **extra}
    headers = {"X-End-User-IP": named_ip}
    return _post(client, "/auth/login", key, address, json=body, headers=headers)


def _with_password(client, path: str, key: str, address: str, email: str, **kwargs):
    body = {"email": email, "password": PASSWORD, **kwargs.pop("json", {})}
    return _post(client, path, key, address, json=body, **kwargs)


def _sign_up(client, server_key: str, email: str) -> None:
    response = _with_password(client, "/auth/register", server_key, "192.0.2.1", email)
    assert response.status_code == 201, response.json


def _session_ips(client, signed_in, key: str) -> list[str]:
    """The addresses of the signed-in user's sessions, as the API lists them."""
    bearer = {"Authorization": f"Bearer {signed_in.json['access_token']}", "X-API-Key": key}
    return sorted(row["ip"] for row in client.get(f"{API}/me/sessions", headers=bearer).json)


def test_an_auth_scope_key_cannot_choose_the_end_user_ip_that_lockout_counts(app, lockable):
    """Rotating X-End-User-IP (or the body's ip) from a browser key does not spread the
    failures over many addresses: they all count against the connection's address."""
    _tenant, browser_key, _server_key = lockable
    client = app.test_client()
    attacker = "198.51.100.31"
    for number in range(IP_LOCKOUT):
        forged = f"203.0.113.{number + 1}"
        answer = _guess(client, browser_key, attacker, forged, ip=forged)
        assert answer.status_code == 401
    locked = _guess(client, browser_key, attacker, "203.0.113.200", ip="203.0.113.200")
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


def test_a_victims_ip_cannot_be_locked_out_by_naming_it_from_a_browser_key(app, lockable):
    _tenant, browser_key, server_key = lockable
    client = app.test_client()
    victim_ip = "203.0.113.77"
    email = f"{unique('real')}@example.com"
    _sign_up(client, server_key, email)
    for _ in range(IP_LOCKOUT + 1):
        _guess(client, browser_key, "198.51.100.32", victim_ip)
    # The tenant's server signs the victim in from the address that was named.
    named = {"X-End-User-IP": victim_ip}
    victim = _with_password(client, "/auth/login", server_key, "192.0.2.1", email, headers=named)
    assert victim.status_code == 200, victim.json


@pytest.mark.parametrize("where", ["header", "body"])
def test_a_server_side_key_may_forward_the_end_users_ip(app, lockable, where):
    _tenant, browser_key, server_key = lockable
    client = app.test_client()
    email = f"{unique('fwd')}@example.com"
    _sign_up(client, server_key, email)
    named = "203.0.113.90"
    extra = {"json": {"ip": named}} if where == "body" else {"headers": {"X-End-User-IP": named}}
    login = "/auth/login"
    server = _with_password(client, login, server_key, "192.0.2.1", email, **extra)
    browser = _with_password(client, login, browser_key, "198.51.100.33", email, **extra)
    assert server.status_code == browser.status_code == 200
    assert _session_ips(client, server, server_key) == ["198.51.100.33", named]


def test_behind_a_trusted_proxy_a_browser_keys_address_is_the_forwarded_client(
    app, database_url, tmp_path, lockable
):
    """AUTHSVC_PROXY_FIX_HOPS makes the connection's address the one the proxy forwards."""
    from tests.conftest import make_app

    _tenant, browser_key, server_key = lockable
    proxied = make_app(database_url, tmp_path, PROXY_FIX_HOPS=1).test_client()
    email = f"{unique('proxied')}@example.com"
    _sign_up(proxied, server_key, email)
    forwarded = {"X-Forwarded-For": "203.0.113.50", "X-End-User-IP": "203.0.113.51"}
    signed_in = _with_password(
        proxied, "/auth/login", browser_key, "192.0.2.2", email, headers=forwarded
    )
    assert signed_in.status_code == 200, signed_in.json
    assert _session_ips(proxied, signed_in, server_key) == ["203.0.113.50"]
