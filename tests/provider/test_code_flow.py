"""The authorization code flow end to end with authlib's client, PyJWT and the hosted pages."""

from __future__ import annotations

import time

from tests.hosted.conftest import PASSWORD, submit
from tests.hosted.test_flows import _enrol_totp
from tests.provider.conftest import (
    REDIRECT,
    authorize,
    callback_params,
    consent,
    follow,
    sign_in,
    verify_id_token,
)


def test_does_a_standard_client_sign_a_user_in_with_code_and_pkce(
    app, client, tenant, member, register, rp
):
    """Sign in through the hosted pages, consent, exchange the code; the ID token verifies
    against the JWKS and carries the user's claims by scope."""
    application = register()
    relying_party = rp(application)
    page, state, verifier = authorize(client, relying_party, tenant[1], nonce="n-0S6_WzA2Mj")
    assert page.status_code == 303 and "/login" in page.headers["Location"]
    login_url = page.headers["Location"]
    # The sign-in form ends in a redirect to the application: CSP form-action allows it.
    login_page = client.get(login_url)
    assert "https://rp.example.com" in login_page.headers["Content-Security-Policy"]
    signed_in = submit(client, login_url, {"identifier": member["email"], "password": PASSWORD})
    assert signed_in.status_code == 303
    page = follow(client, signed_in.headers["Location"])
    assert page.status_code == 200 and "Allow Relying Party" in page.get_data(as_text=True)
    assert "https://rp.example.com" in page.headers["Content-Security-Policy"]
    done = consent(client, page)
    params = callback_params(done)
    assert params["state"] == state
    token = relying_party.fetch_token(
        f"/t/{tenant[1]}/oauth2/token", code=params["code"], code_verifier=verifier
    )
    assert {"access_token", "id_token", "refresh_token"} <= set(token)
    claims = verify_id_token(client, tenant[1], token["id_token"], application["client_id"])
    assert claims["sub"] == member["id"] and claims["nonce"] == "n-0S6_WzA2Mj"
    assert claims["email"] == member["email"] and claims["email_verified"] is True
    assert claims["name"] == "Ada Member" and claims["amr"] == ["pwd"]
    assert "auth_time" in claims
    info = relying_party.get(f"/t/{tenant[1]}/oauth2/userinfo").json()
    assert info["sub"] == member["id"] and info["email"] == member["email"]
    validated = client.get(
        "/api/v1/auth/validate", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert validated.status_code == 200
    assert validated.headers["X-User-Id"] == member["id"]


def test_the_redirect_uri_must_match_exactly_and_errors_stay_on_our_page(
    client, tenant, member, register, rp
):
    application = register()
    sign_in(client, tenant[1], member["email"])
    for look_alike in (REDIRECT + "/", REDIRECT + "x", "https://rp.example.com.evil.test/cb"):
        relying_party = rp(application, redirect_uri=look_alike)
        page, _state, _verifier = authorize(client, relying_party, tenant[1])
        assert page.status_code == 400, look_alike
        assert "Location" not in page.headers
        assert "not valid" in page.get_data(as_text=True)


def test_an_mfa_user_passes_the_code_page_and_the_id_token_says_so(
    client, tenant, member, api_client, register, rp
):
    """The authorization request waits through password and TOTP, then resumes; the login
    page is filled in from ``login_hint``; ``amr`` names both factors."""
    totp = _enrol_totp(api_client, tenant, member)
    application = register(first_party=True)
    relying_party = rp(application)
    page, state, verifier = authorize(client, relying_party, tenant[1], login_hint=member["email"])
    login_url = page.headers["Location"]
    assert f'value="{member["email"]}"' in client.get(login_url).get_data(as_text=True)
    password = submit(client, login_url, {"identifier": member["email"], "password": PASSWORD})
    assert password.headers["Location"] == f"/t/{tenant[1]}/mfa"
    second = submit(client, f"/t/{tenant[1]}/mfa", {"code": totp.now()})
    params = callback_params(follow(client, second.headers["Location"]))
    assert params["state"] == state
    token = relying_party.fetch_token(
        f"/t/{tenant[1]}/oauth2/token", code=params["code"], code_verifier=verifier
    )
    claims = verify_id_token(client, tenant[1], token["id_token"], application["client_id"])
    assert claims["amr"] == ["pwd", "otp", "mfa"]


def test_max_age_older_than_the_session_asks_to_sign_in_again(client, tenant, member, register, rp):
    sign_in(client, tenant[1], member["email"])
    application = register(first_party=True)
    fresh, _state, _verifier = authorize(client, rp(application), tenant[1], max_age="3600")
    assert fresh.status_code == 302 and "code=" in fresh.headers["Location"]
    time.sleep(1.1)
    stale, _state, _verifier = authorize(client, rp(application), tenant[1], max_age="0")
    assert stale.status_code == 303 and "/login?" in stale.headers["Location"]
    quiet, _state, _verifier = authorize(
        client, rp(application), tenant[1], max_age="0", prompt="none"
    )
    assert callback_params(quiet)["error"] == "login_required"
