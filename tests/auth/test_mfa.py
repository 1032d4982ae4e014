"""TOTP: enrolment with a QR code, sign-in with a second step, replay refusal, recovery codes."""

from __future__ import annotations

import time

import pyotp
import pytest

from tests.auth.conftest import PASSWORD


@pytest.fixture
def enrolled(tenant_app):
    tenant_app.signup("mfa@example.com")
    token = tenant_app.tokens("mfa@example.com")["access_token"]
    enrolment = tenant_app.as_user("post", "/me/mfa/totp", token).json
    assert enrolment["otpauth_uri"].startswith("otpauth://totp/")
    assert enrolment["qr_svg"].lstrip().startswith("<?xml") or "<svg" in enrolment["qr_svg"]
    totp = pyotp.TOTP(enrolment["secret"])
    confirmed = tenant_app.as_user("post", "/me/mfa/totp/confirm", token, json={"code": totp.now()})
    assert confirmed.status_code == 200
    return totp, confirmed.json["recovery_codes"], token


def _next_step_code(totp: pyotp.TOTP) -> str:
    """A valid code from a later time step than the one just used (no sleeping)."""
    return totp.at(time.time() + totp.interval)


def test_login_asks_for_a_code_then_completes(tenant_app, enrolled):
    totp, _codes, _token = enrolled
    challenge = tenant_app.login("mfa@example.com")
    assert challenge.status_code == 200
    assert challenge.json["mfa_required"] is True and "access_token" not in challenge.json
    done = tenant_app.client.post(
        "/auth/mfa", json={"mfa_token": challenge.json["mfa_token"], "code": _next_step_code(totp)}
    )
    assert done.status_code == 200 and done.json["access_token"]


def test_a_code_is_refused_when_reused_in_its_window(tenant_app, enrolled):
    totp, _codes, _token = enrolled
    code = _next_step_code(totp)
    first = tenant_app.login("mfa@example.com").json["mfa_token"]
    assert (
        tenant_app.client.post("/auth/mfa", json={"mfa_token": first, "code": code}).status_code
        == 200
    )
    second = tenant_app.login("mfa@example.com").json["mfa_token"]
    replay = tenant_app.client.post("/auth/mfa", json={"mfa_token": second, "code": code})
    assert replay.status_code == 401


def test_recovery_codes_work_once_each(tenant_app, enrolled):
    _totp, codes, _token = enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    challenge = tenant_app.login("mfa@example.com").json["mfa_token"]
    ok = tenant_app.client.post("/auth/mfa", json={"mfa_token": challenge, "code": codes[0]})
    assert ok.status_code == 200
    challenge = tenant_app.login("mfa@example.com").json["mfa_token"]
    again = tenant_app.client.post("/auth/mfa", json={"mfa_token": challenge, "code": codes[0]})
    assert again.status_code == 401


def test_mfa_token_is_not_an_access_token(tenant_app, enrolled):
    challenge = tenant_app.login("mfa@example.com").json["mfa_token"]
    assert tenant_app.as_user("get", "/me", challenge).status_code == 401


def test_disabling_needs_a_code_or_the_password(tenant_app, enrolled):
    _totp, _codes, token = enrolled
    refused = tenant_app.as_user("delete", "/me/mfa/totp", token, json={"password": "wrong"})
    assert refused.status_code == 401
    assert (
        tenant_app.as_user("delete", "/me/mfa/totp", token, json={"password": PASSWORD}).status_code
        == 204
    )
    assert "access_token" in tenant_app.login("mfa@example.com").json
