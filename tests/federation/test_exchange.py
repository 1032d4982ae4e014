"""Apps without hosted pages: a provider sign-in ends on the app with a one-time code,
which ``POST /api/v1/auth/exchange`` turns into tokens."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest

from tests.conftest import unique
from tests.federation.conftest import start_sign_in

APP_URL = "https://app.example.com/cb"


@pytest.fixture
def admin(api_client, tenant):
    client = api_client(tenant, ["admin"])
    settings = {"settings": {"redirect_urls": [APP_URL]}}
    assert client.patch("/tenant", json=settings).status_code == 200
    return client


def code_for(app, tenant, provider, login: str, return_to: str = APP_URL + "?state=s1"):
    """Sign in through the provider with ``return_to``; the app URL the browser lands on."""
    browser = app.test_client()
    done = browser.get(
        start_sign_in(browser, tenant[1], provider["id"], login, return_to=return_to)
    )
    assert done.status_code == 303, done.text
    assert "authsvc_hosted=" not in done.headers.get("Set-Cookie", "")
    return done.headers["Location"]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_does_a_sign_in_with_return_to_end_on_the_app_with_a_code_worth_tokens(
    app, admin, api_client, tenant, oidc_provider
):
    login = unique("ivy")
    landed = code_for(app, tenant, oidc_provider, login)
    assert landed.startswith(APP_URL + "?")
    query = query_of(landed)
    assert query["state"] == ["s1"] and list(query) == ["state", "code"]
    # No token travels in the URL: only the app's state and an opaque code, which is
    # neither a JWT nor a refresh token (their prefixes are checked, not substrings:
    # a random code may contain "eyJ" anywhere).
    assert not query["code"][0].startswith(("eyJ", "rt_"))
    auth = api_client(tenant, ["auth"])
    tokens = auth.post("/auth/exchange", json={"code": query["code"][0]})
    assert tokens.status_code == 200, tokens.json
    assert tokens.json["token_type"] == "Bearer" and tokens.json["refresh_token"].startswith("rt_")
    me = auth.get("/me", headers={"Authorization": f"Bearer {tokens.json['access_token']}"})
    assert me.status_code == 200 and me.json["email"] == f"{login}@idp.example"
    refreshed = auth.post("/auth/refresh", json={"refresh_token": tokens.json["refresh_token"]})
    assert refreshed.status_code == 200
    (login_event,) = admin.get("/events", query_string={"type": "user.login"}).json["items"]
    assert login_event["data"]["via"] == "oidc"


def test_is_a_replayed_code_refused_and_the_session_it_opened_revoked(
    app, admin, api_client, tenant, oidc_provider
):
    code = query_of(code_for(app, tenant, oidc_provider, unique("jack")))["code"][0]
    auth = api_client(tenant, ["auth"])
    first = auth.post("/auth/exchange", json={"code": code})
    assert first.status_code == 200
    replayed = auth.post("/auth/exchange", json={"code": code})
    assert replayed.status_code == 422
    assert replayed.headers["Content-Type"] == "application/problem+json"
    assert "code" in replayed.json["errors"]
    # Whoever replayed it may hold a copy of the first answer too: that session ends.
    bearer = {"Authorization": f"Bearer {first.json['access_token']}"}
    assert auth.get("/me", headers=bearer).status_code == 401
    refresh = auth.post("/auth/refresh", json={"refresh_token": first.json["refresh_token"]})
    assert refresh.status_code == 401
    revoked = admin.get("/events", query_string={"type": "session.revoked"}).json["items"]
    assert [e["data"]["reason"] for e in revoked] == ["sign_in_code_reuse"]


def test_is_an_expired_code_refused(app, admin, api_client, tenant, oidc_provider, monkeypatch):
    monkeypatch.setitem(app.config, "FEDERATION_CODE_TTL_SECONDS", 1)
    code = query_of(code_for(app, tenant, oidc_provider, unique("kim")))["code"][0]
    time.sleep(1.1)
    expired = api_client(tenant, ["auth"]).post("/auth/exchange", json={"code": code})
    assert expired.status_code == 422
    assert admin.get("/events", query_string={"type": "session.created"}).json["items"] == []


def test_does_another_tenants_key_learn_nothing_and_leave_the_code_usable(
    app, admin, api_client, tenant, other_tenant, oidc_provider
):
    code = query_of(code_for(app, tenant, oidc_provider, unique("lee")))["code"][0]
    stranger = api_client(other_tenant, ["auth", "admin"]).post(
        "/auth/exchange", json={"code": code}
    )
    unknown = api_client(other_tenant, ["auth"]).post("/auth/exchange", json={"code": "x" * 43})
    assert stranger.status_code == unknown.status_code == 422
    assert stranger.json == unknown.json
    owner = api_client(tenant, ["auth"]).post("/auth/exchange", json={"code": code})
    assert owner.status_code == 200


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"code": "made-up"}, 422),
        ({"code": ""}, 422),
        ({}, 422),
        ({"code": 12345}, 422),
        ({"code": "x" * 100_000}, 422),
        ({"code": "c", "extra": 1}, 422),
    ],
)
def test_are_wrong_codes_refused_as_problems(api_client, tenant, body, status):
    refused = api_client(tenant, ["auth"]).post("/auth/exchange", json=body)
    assert refused.status_code == status
    assert refused.headers["Content-Type"] == "application/problem+json"


def test_does_a_key_without_the_auth_scope_get_403(api_client, tenant):
    refused = api_client(tenant, ["users:read"]).post("/auth/exchange", json={"code": "c"})
    assert refused.status_code == 403


def test_is_a_return_to_the_tenant_did_not_allow_ignored(app, admin, tenant, oidc_provider):
    """A look-alike host never receives a code; the sign-in ends on the hosted pages."""
    browser = app.test_client()
    evil = "https://app.example.com.evil.example/cb"
    callback = start_sign_in(browser, tenant[1], oidc_provider["id"], unique("moe"), return_to=evil)
    done = browser.get(callback)
    assert done.status_code == 303
    assert done.headers["Location"] == f"/t/{tenant[1]}/account"


def test_does_mfa_apply_to_an_exchanged_code(
    app, admin, api_client, make_user, tenant, oidc_provider
):
    login = unique("nia")
    password = "an account with a second factor"
    make_user(tenant, email=f"{login}@idp.example", password=password, is_verified=True)
    auth = api_client(tenant, ["auth"])
    signed = auth.post("/auth/login", json={"email": f"{login}@idp.example", "password": password})
    bearer = {"Authorization": f"Bearer {signed.json['access_token']}"}
    totp = pyotp.TOTP(auth.post("/me/mfa/totp", headers=bearer).json["secret"])
    earlier = totp.at(time.time() - 30)
    assert (
        auth.post("/me/mfa/totp/confirm", headers=bearer, json={"code": earlier}).status_code == 200
    )
    admin.patch(f"/identity-providers/{oidc_provider['id']}", json={"link_by_email": True})

    code = query_of(code_for(app, tenant, oidc_provider, login))["code"][0]
    challenge = auth.post("/auth/exchange", json={"code": code})
    assert challenge.status_code == 200
    assert challenge.json["mfa_required"] is True and "access_token" not in challenge.json
    body = {"mfa_token": challenge.json["mfa_token"], "code": totp.now()}
    done = auth.post("/auth/mfa", json=body)
    assert done.status_code == 200, done.json
    assert "access_token" in done.json
    logins = admin.get("/events", query_string={"type": "user.login"}).json["items"]
    assert sorted(e["data"]["via"] for e in logins) == ["oidc", "password"]
