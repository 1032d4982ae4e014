"""What a hostile client, a thief or a confused deputy tries at the provider's endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from authlib.integrations.base_client import OAuthError

from authsvc.applications.models import AuthorizationCode
from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.provider.grants import prune_codes
from authsvc.tenancy import tenant_context
from tests.provider.conftest import authorize, callback_params, consent, sign_in


def _code(client, tenant, member, relying_party, **params):
    sign_in(client, tenant[1], member["email"])
    page, _state, verifier = authorize(client, relying_party, tenant[1], **params)
    if page.status_code == 200:
        page = consent(client, page)
    return callback_params(page)["code"], verifier


def _token_url(tenant) -> str:
    return f"/t/{tenant[1]}/oauth2/token"


def _validate(client, access_token: str) -> int:
    headers = {"Authorization": f"Bearer {access_token}"}
    return client.get("/api/v1/auth/validate", headers=headers).status_code


def test_a_replayed_code_is_refused_and_revokes_what_it_issued(
    client, tenant, member, register, rp
):
    relying_party = rp(register())
    code, verifier = _code(client, tenant, member, relying_party)
    token = relying_party.fetch_token(_token_url(tenant), code=code, code_verifier=verifier)
    assert _validate(client, token["access_token"]) == 200
    with pytest.raises(OAuthError) as refused:
        relying_party.fetch_token(_token_url(tenant), code=code, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"
    assert _validate(client, token["access_token"]) == 401
    with pytest.raises(OAuthError):
        relying_party.refresh_token(_token_url(tenant), refresh_token=token["refresh_token"])


def test_a_code_issued_to_another_client_is_refused(client, tenant, member, register, rp):
    victim, thief = rp(register()), rp(register(name="Thief"))
    code, verifier = _code(client, tenant, member, victim)
    with pytest.raises(OAuthError) as refused:
        thief.fetch_token(_token_url(tenant), code=code, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"
    # The rightful client can still redeem it: the thief's attempt spent nothing.
    assert "access_token" in victim.fetch_token(
        _token_url(tenant), code=code, code_verifier=verifier
    )


def test_a_public_client_must_use_pkce(client, tenant, member, register, rp):
    public = register(client_type="public")
    assert public["client_secret"] is None
    relying_party = rp(public)
    sign_in(client, tenant[1], member["email"])
    # No code_verifier: authlib's client then sends no code_challenge.
    url, _state = relying_party.create_authorization_url(
        f"http://authsvc.test/t/{tenant[1]}/oauth2/authorize"
    )
    answer = client.get(url.removeprefix("http://authsvc.test"))
    assert answer.status_code == 302
    assert callback_params(answer)["error"] == "invalid_request"


@pytest.mark.parametrize("verifier", ["", "x" * 43])
def test_a_missing_or_wrong_code_verifier_is_refused(
    client, tenant, member, register, rp, verifier
):
    relying_party = rp(register(client_type="public"))
    code, _right = _code(client, tenant, member, relying_party)
    body = {"grant_type": "authorization_code", "code": code, "client_id": relying_party.client_id}
    body |= {"redirect_uri": "https://rp.example.com/cb", "code_verifier": verifier}
    # A raw form post: authlib's client always sends the verifier it made.
    answer = client.post(_token_url(tenant), data={k: v for k, v in body.items() if v})
    assert answer.status_code == 400
    assert answer.json["error"] in {"invalid_request", "invalid_grant"}


def test_a_wrong_client_secret_is_refused(client, tenant, member, register, rp):
    application = register()
    code, verifier = _code(client, tenant, member, rp(application))
    forged = rp({**application, "client_secret": application["client_secret"][:-2] + "xx"})
    with pytest.raises(OAuthError) as refused:
        forged.fetch_token(_token_url(tenant), code=code, code_verifier=verifier)
    assert refused.value.error == "invalid_client"


def test_another_tenants_client_is_unknown_here(
    client, tenant, other_tenant, member, api_client, rp
):
    """Tenant B's application at tenant A's endpoints: our error page, never a redirect."""
    body = {"name": "B app", "redirect_uris": ["https://rp.example.com/cb"]}
    body["grant_types"] = ["authorization_code", "client_credentials"]
    foreign = api_client(other_tenant, ["admin"]).post("/applications", json=body).json
    sign_in(client, tenant[1], member["email"])
    page, _state, _verifier = authorize(client, rp(foreign), tenant[1])
    assert page.status_code == 400 and "Location" not in page.headers
    with pytest.raises(OAuthError) as refused:
        rp(foreign).fetch_token(_token_url(tenant), grant_type="client_credentials")
    assert refused.value.error == "invalid_client"


def test_a_reused_refresh_token_revokes_the_family(client, tenant, member, register, rp):
    relying_party = rp(register())
    code, verifier = _code(client, tenant, member, relying_party)
    first = relying_party.fetch_token(_token_url(tenant), code=code, code_verifier=verifier)
    second = relying_party.refresh_token(_token_url(tenant), refresh_token=first["refresh_token"])
    assert second["refresh_token"] != first["refresh_token"]
    with pytest.raises(OAuthError) as refused:
        relying_party.refresh_token(_token_url(tenant), refresh_token=first["refresh_token"])
    assert refused.value.error == "invalid_grant"
    with pytest.raises(OAuthError):
        relying_party.refresh_token(_token_url(tenant), refresh_token=second["refresh_token"])
    assert _validate(client, second["access_token"]) == 401


def test_a_refresh_cannot_widen_the_scope(client, tenant, member, register, rp):
    relying_party = rp(register(), scope="openid email offline_access")
    code, verifier = _code(client, tenant, member, relying_party)
    token = relying_party.fetch_token(_token_url(tenant), code=code, code_verifier=verifier)
    with pytest.raises(OAuthError) as refused:
        relying_party.refresh_token(
            _token_url(tenant), refresh_token=token["refresh_token"], scope="openid profile"
        )
    assert refused.value.error == "invalid_scope"


def test_without_offline_access_there_is_no_refresh_token(client, tenant, member, register, rp):
    relying_party = rp(register(), scope="openid email")
    code, verifier = _code(client, tenant, member, relying_party)
    token = relying_party.fetch_token(_token_url(tenant), code=code, code_verifier=verifier)
    assert "refresh_token" not in token and "id_token" in token


def test_an_expired_code_is_refused(app, client, tenant, member, register, rp):
    relying_party = rp(register())
    code, verifier = _code(client, tenant, member, relying_party)
    with app.app_context(), tenant_context(tenant[0]):
        db.session.execute(
            sa.update(AuthorizationCode).values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    with pytest.raises(OAuthError) as refused:
        relying_party.fetch_token(_token_url(tenant), code=code, code_verifier=verifier)
    assert refused.value.error == "invalid_grant"
    # The worker's job removes expired codes, of every tenant.
    assert prune_codes(app) >= 1
    with app.app_context(), tenant_context(tenant[0]):
        assert db.session.execute(sa.select(AuthorizationCode)).first() is None


def test_prompt_none_without_a_session_answers_login_required(client, tenant, register, rp):
    page, state, _verifier = authorize(client, rp(register()), tenant[1], prompt="none")
    params = callback_params(page)
    assert params["error"] == "login_required" and params["state"] == state


def test_a_public_client_cannot_use_client_credentials(admin, register, rp, tenant):
    body = {"name": "SPA", "client_type": "public", "redirect_uris": ["https://rp.example.com/cb"]}
    body["grant_types"] = ["authorization_code", "client_credentials"]
    refused = admin.post("/applications", json=body)
    assert refused.status_code == 422 and "grant_types" in refused.json["errors"]
    public = rp(register(client_type="public"))
    with pytest.raises(OAuthError) as answer:
        public.fetch_token(_token_url(tenant), grant_type="client_credentials")
    assert answer.value.error in {"invalid_client", "unauthorized_client"}


def test_plain_http_from_a_public_host_is_an_oauth_error_not_a_crash(client, tenant):
    body = {"grant_type": "client_credentials"}
    answer = client.post(f"/t/{tenant[1]}/oauth2/token", data=body, base_url="http://authsvc.test")
    assert answer.status_code == 400 and answer.json["error"] == "insecure_transport"


def test_an_applications_refresh_token_is_no_key_to_the_api_refresh(
    client, tenant, member, register, rp, api_client
):
    """``/auth/refresh`` would mint an unscoped first-party token: it refuses app sessions."""
    relying_party = rp(register())
    code, verifier = _code(client, tenant, member, relying_party)
    token = relying_party.fetch_token(_token_url(tenant), code=code, code_verifier=verifier)
    api = api_client(tenant, ["auth"])
    refused = api.post("/auth/refresh", json={"refresh_token": token["refresh_token"]})
    assert refused.status_code == 401
    # Nothing was spent: the application refreshes as before.
    assert "access_token" in relying_party.refresh_token(
        _token_url(tenant), refresh_token=token["refresh_token"]
    )


def test_a_nonce_longer_than_its_column_is_a_bad_request_not_a_crash(
    client, tenant, member, register, rp
):
    sign_in(client, tenant[1], member["email"])
    page, state, _verifier = authorize(
        client, rp(register(first_party=True)), tenant[1], nonce="n" * 513
    )
    params = callback_params(page)
    assert (params["error"], params["state"]) == ("invalid_request", state)
