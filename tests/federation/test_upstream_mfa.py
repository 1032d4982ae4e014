"""Trusting the provider's MFA (its ID token's ``amr``), and the ``amr`` authsvc's tokens carry.

The test provider (tests/oidc/provider.mjs) signs "mfa-..." logins in with
``amr: ["pwd", "mfa"]``, "otp-..." with ``["pwd", "otp"]``, "lookalike-..." with
values that only resemble MFA, and others with no ``amr``.
"""

from __future__ import annotations

import time

import jwt
import pyotp
import pytest

from tests.conftest import unique
from tests.federation.conftest import start_sign_in
from tests.federation.test_exchange import APP_URL, code_for, query_of

PASSWORD = "an account with a second factor"


@pytest.fixture
def admin(api_client, tenant):
    client = api_client(tenant, ["admin"])
    settings = {"settings": {"redirect_urls": [APP_URL]}}
    assert client.patch("/tenant", json=settings).status_code == 200
    return client


def amr_of(access_token: str) -> list[str]:
    # PyJWT reads the claims; the signature is authsvc's own and tested elsewhere.
    return jwt.decode(access_token, options={"verify_signature": False})["amr"]


def user_with_totp(api_client, make_user, tenant, email: str) -> pyotp.TOTP:
    make_user(tenant, email=email, password=PASSWORD, is_verified=True)
    auth = api_client(tenant, ["auth"])
    signed = auth.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert amr_of(signed.json["access_token"]) == ["pwd"]
    bearer = {"Authorization": f"Bearer {signed.json['access_token']}"}
    totp = pyotp.TOTP(auth.post("/me/mfa/totp", headers=bearer).json["secret"])
    confirmed = auth.post(
        "/me/mfa/totp/confirm", headers=bearer, json={"code": totp.at(time.time() - 30)}
    )
    assert confirmed.status_code == 200
    return totp


@pytest.fixture
def setup(app, admin, api_client, make_user, tenant, oidc_provider):
    """``setup(prefix, trusted)``: a user with TOTP whose email the provider's login
    ``<prefix>-...`` asserts, linked by email; returns (login, totp)."""

    def make(prefix: str, trusted: bool):
        login = unique(prefix)
        totp = user_with_totp(api_client, make_user, tenant, f"{login}@idp.example")
        change = {"link_by_email": True, "trust_upstream_mfa": trusted}
        patched = admin.patch(f"/identity-providers/{oidc_provider['id']}", json=change)
        assert patched.status_code == 200 and patched.json["trust_upstream_mfa"] is trusted
        return login, totp

    return make


def exchange(app, api_client, tenant, provider, login: str):
    code = query_of(code_for(app, tenant, provider, login))["code"][0]
    answer = api_client(tenant, ["auth"]).post("/auth/exchange", json={"code": code})
    assert answer.status_code == 200, answer.json
    return answer.json


@pytest.mark.parametrize(
    ("prefix", "amr"), [("mfa", ["fed", "mfa"]), ("otp", ["fed", "otp", "mfa"])]
)
def test_does_a_trusted_providers_mfa_skip_the_totp_step(
    app, api_client, tenant, oidc_provider, setup, prefix, amr
):
    login, _totp = setup(prefix, trusted=True)
    tokens = exchange(app, api_client, tenant, oidc_provider, login)
    assert "mfa_required" not in tokens and amr_of(tokens["access_token"]) == amr
    auth = api_client(tenant, ["auth"])
    refreshed = auth.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200 and amr_of(refreshed.json["access_token"]) == amr


@pytest.mark.parametrize(
    ("prefix", "trusted"),
    [("plain", True), ("lookalike", True), ("mfa", False)],
    ids=["no-amr", "look-alike-amr", "provider-not-trusted"],
)
def test_does_totp_still_apply_without_trusted_upstream_mfa(
    app, api_client, tenant, oidc_provider, setup, prefix, trusted
):
    login, totp = setup(prefix, trusted)
    challenge = exchange(app, api_client, tenant, oidc_provider, login)
    assert challenge["mfa_required"] is True and "access_token" not in challenge
    body = {"mfa_token": challenge["mfa_token"], "code": totp.now()}
    done = api_client(tenant, ["auth"]).post("/auth/mfa", json=body)
    assert done.status_code == 200, done.json
    assert amr_of(done.json["access_token"]) == ["fed", "otp", "mfa"]


def test_does_the_hosted_sign_in_skip_the_totp_page_for_trusted_mfa(
    app, tenant, oidc_provider, setup
):
    login, _totp = setup("mfa", trusted=True)
    browser = app.test_client()
    done = browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], login))
    assert done.status_code == 303
    assert done.headers["Location"] == f"/t/{tenant[1]}/account"


def test_is_trusting_upstream_mfa_off_by_default_and_audited(admin, oidc_provider):
    assert oidc_provider["trust_upstream_mfa"] is False
    admin.patch(f"/identity-providers/{oidc_provider['id']}", json={"trust_upstream_mfa": True})
    entries = admin.get("/audit", query_string={"action": "identity_provider.updated"}).json
    assert entries["items"][0]["changes"]["fields"]["trust_upstream_mfa"] == {
        "before": False,
        "after": True,
    }
