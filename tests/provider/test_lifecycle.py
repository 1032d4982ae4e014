"""After sign-in: consent remembered and revoked, refresh, introspection, revocation,
client credentials and RP-initiated logout, each through authlib's client."""

from __future__ import annotations

import pytest
from authlib.integrations.base_client import OAuthError

from tests.hosted.conftest import PASSWORD, submit
from tests.provider.conftest import (
    authorize,
    callback_params,
    consent,
    endpoints,
    follow,
    sign_in,
    verify_id_token,
)

SECRET = {"password": PASSWORD}


def _signed_in_tokens(client, tenant, member, relying_party):
    sign_in(client, tenant[1], member["email"])
    page, _state, verifier = authorize(client, relying_party, tenant[1])
    if page.status_code == 200:
        page = consent(client, page)
    code = callback_params(page)["code"]
    url = f"/t/{tenant[1]}/oauth2/token"
    return relying_party.fetch_token(url, code=code, code_verifier=verifier)


def test_discovery_lists_the_endpoints_and_supported_values(client, tenant):
    doc = endpoints(client, tenant[1])
    base = f"http://authsvc.test/t/{tenant[1]}"
    assert doc["issuer"] == base
    assert doc["authorization_endpoint"] == f"{base}/oauth2/authorize"
    assert doc["token_endpoint"] == f"{base}/oauth2/token"
    assert doc["end_session_endpoint"] == f"{base}/oauth2/logout"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "client_credentials" in doc["grant_types_supported"]


def test_a_remembered_consent_is_not_asked_again_until_revoked(
    client, tenant, member, register, rp
):
    relying_party = rp(register())
    token = _signed_in_tokens(client, tenant, member, relying_party)
    again, _state, _verifier = authorize(client, relying_party, tenant[1])
    assert again.status_code == 302 and "code=" in again.headers["Location"]
    me = {"Authorization": f"Bearer {token['access_token']}"}
    (grant,) = client.get("/api/v1/me/grants", headers=me).json
    assert grant["application_name"] == "Relying Party"
    assert client.delete(f"/api/v1/me/grants/{grant['id']}", headers=me).status_code == 204
    asked, _state, _verifier = authorize(client, relying_party, tenant[1])
    assert asked.status_code == 200 and "Allow Relying Party" in asked.get_data(as_text=True)


def test_a_first_party_application_skips_consent_and_deny_is_access_denied(
    client, tenant, member, register, rp
):
    sign_in(client, tenant[1], member["email"])
    own, _state, _verifier = authorize(client, rp(register(first_party=True)), tenant[1])
    assert own.status_code == 302 and "code=" in own.headers["Location"]
    page, state, _verifier = authorize(client, rp(register()), tenant[1])
    denied = callback_params(consent(client, page, allow=False))
    assert (denied["error"], denied["state"]) == ("access_denied", state)
    assert "code" not in denied


def test_prompt_login_asks_to_sign_in_again(client, tenant, member, register, rp):
    sign_in(client, tenant[1], member["email"])
    page, _state, _verifier = authorize(client, rp(register()), tenant[1], prompt="login")
    assert page.status_code == 303 and "/login?" in page.headers["Location"]
    again = submit(client, page.headers["Location"], {"identifier": member["email"]} | SECRET)
    resumed = follow(client, again.headers["Location"])
    assert resumed.status_code == 200 and "Allow Relying Party" in resumed.get_data(as_text=True)


def test_refresh_introspect_revoke(client, tenant, member, register, rp):
    relying_party = rp(register())
    token = _signed_in_tokens(client, tenant, member, relying_party)
    base = f"/t/{tenant[1]}/oauth2"
    fresh = relying_party.refresh_token(f"{base}/token", refresh_token=token["refresh_token"])
    seen = relying_party.introspect_token(f"{base}/introspect", token=fresh["access_token"])
    assert seen.json()["active"] is True and seen.json()["sub"] == member["id"]
    assert seen.json()["client_id"] == relying_party.client_id
    relying_party.revoke_token(f"{base}/revoke", token=fresh["access_token"])
    gone = relying_party.introspect_token(f"{base}/introspect", token=fresh["access_token"])
    assert gone.json() == {"active": False}
    relying_party.revoke_token(
        f"{base}/revoke", token=fresh["refresh_token"], token_type_hint="refresh_token"
    )
    with pytest.raises(OAuthError) as refused:
        relying_party.refresh_token(f"{base}/token", refresh_token=fresh["refresh_token"])
    assert refused.value.error == "invalid_grant"


def test_client_credentials_for_a_confidential_client(client, tenant, register, rp, caplog):
    machine = register(grant_types=["client_credentials"], redirect_uris=[], scopes=["email"])
    relying_party = rp(machine, scope="email")
    token = relying_party.fetch_token(
        f"/t/{tenant[1]}/oauth2/token", grant_type="client_credentials"
    )
    assert "refresh_token" not in token and token["scope"] == "email"
    validated = client.get(
        "/api/v1/auth/validate", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert validated.status_code == 200
    assert validated.headers["X-User-Id"] == machine["client_id"]
    issued = [r.getMessage() for r in caplog.records if "oauth2.token_issued" in r.getMessage()]
    assert issued == [
        f"oauth2.token_issued client_id={machine['client_id']} grant_type=client_credentials"
    ]
    assert token["access_token"] not in caplog.text


def test_rp_initiated_logout_ends_the_hosted_session(client, tenant, member, register, rp):
    application = register()
    token = _signed_in_tokens(client, tenant, member, rp(application))
    verify_id_token(client, tenant[1], token["id_token"], application["client_id"])
    bye = client.get(
        f"/t/{tenant[1]}/oauth2/logout",
        query_string={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "https://rp.example.com/bye",
            "state": "s1",
        },
    )
    assert bye.status_code == 302
    assert bye.headers["Location"] == "https://rp.example.com/bye?state=s1"
    assert client.get(f"/t/{tenant[1]}/signed-in").status_code == 303
    unregistered = client.get(
        f"/t/{tenant[1]}/oauth2/logout",
        query_string={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": "https://evil.example.com/",
        },
    )
    assert unregistered.status_code == 200 and "Location" not in unregistered.headers


def test_scopes_the_application_may_not_have_are_dropped_not_refused(
    client, tenant, member, register, rp
):
    relying_party = rp(register(first_party=True), scope="openid address email")
    sign_in(client, tenant[1], member["email"])
    page, _state, verifier = authorize(client, relying_party, tenant[1])
    code = callback_params(page)["code"]
    url = f"/t/{tenant[1]}/oauth2/token"
    token = relying_party.fetch_token(url, code=code, code_verifier=verifier)
    assert token["scope"] == "openid email"
