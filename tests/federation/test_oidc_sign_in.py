"""Sign-in with an OpenID Provider through the hosted pages, against a real oidc-provider."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.conftest import unique
from tests.federation.conftest import start_sign_in

EXPIRED = "expired or was already used"


@pytest.fixture
def admin(api_client, tenant):
    return api_client(tenant, ["admin"])


def users_with_email(admin, email: str) -> list[dict]:
    return admin.get("/users", query_string={"email": email}).json["items"]


def audit_actions(admin, action: str) -> list[dict]:
    return admin.get("/audit", query_string={"action": action}).json["items"]


def test_does_a_first_sign_in_create_the_user_and_sign_them_in(
    client, admin, tenant, oidc_provider
):
    login = unique("alice")
    callback = start_sign_in(client, tenant[1], oidc_provider["id"], login)
    done = client.get(callback)
    assert done.status_code == 303, done.text
    assert done.headers["Location"].endswith(f"/t/{tenant[1]}/account")
    page = client.get(f"/t/{tenant[1]}/account")
    assert page.status_code == 200
    assert f"{login}@idp.example" in page.text
    (user,) = users_with_email(admin, f"{login}@idp.example")
    assert user["is_verified"] is True
    assert user["display_name"] == f"Test {login}"
    linked = admin.get("/events", query_string={"type": "identity.linked"}).json["items"]
    assert [e["data"]["identity"]["subject"] for e in linked] == [login]
    assert linked[0]["data"]["user_id"] == user["id"]
    (created,) = admin.get("/events", query_string={"type": "user.created"}).json["items"]
    assert created["data"]["via"] == "oidc"
    assert created["data"]["provider_id"] == oidc_provider["id"]
    (login_event,) = admin.get("/events", query_string={"type": "user.login"}).json["items"]
    assert login_event["data"]["via"] == "oidc" and login_event["data"]["user_id"] == user["id"]
    (entry,) = audit_actions(admin, "user.login")
    assert entry["changes"]["via"] == "oidc"


def test_does_a_second_sign_in_find_the_same_user_by_provider_and_subject(
    app, admin, tenant, oidc_provider
):
    login = unique("bob")
    for _attempt in range(2):
        browser = app.test_client()
        done = browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], login))
        assert done.status_code == 303, done.text
    assert len(users_with_email(admin, f"{login}@idp.example")) == 1
    linked = admin.get("/events", query_string={"type": "identity.linked"}).json["items"]
    assert len(linked) == 1


def test_is_a_tampered_state_refused_with_a_themed_page_and_nothing_created(
    client, admin, tenant, oidc_provider
):
    login = unique("mallory")
    callback = start_sign_in(client, tenant[1], oidc_provider["id"], login)
    tampered = callback.replace("state=", "state=x", 1)
    refused = client.get(tampered)
    assert refused.status_code == 400
    assert EXPIRED in refused.text
    assert "Back to sign-in" in refused.text
    assert users_with_email(admin, f"{login}@idp.example") == []
    (entry,) = audit_actions(admin, "identity.login_failed")
    assert entry["target_id"] == oidc_provider["id"]


def test_is_a_replayed_callback_refused(client, admin, tenant, oidc_provider):
    login = unique("replay")
    callback = start_sign_in(client, tenant[1], oidc_provider["id"], login)
    assert client.get(callback).status_code == 303
    replayed = client.get(callback)
    assert replayed.status_code == 400
    assert EXPIRED in replayed.text
    assert len(users_with_email(admin, f"{login}@idp.example")) == 1


def test_is_a_callback_for_another_tenant_refused(
    client, admin, api_client, tenant, other_tenant, oidc_provider
):
    login = unique("cross")
    callback = start_sign_in(client, tenant[1], oidc_provider["id"], login)
    elsewhere = callback.replace(f"/t/{tenant[1]}/", f"/t/{other_tenant[1]}/", 1)
    refused = client.get(elsewhere)
    assert refused.status_code == 404
    assert "not valid here" in refused.text
    assert users_with_email(admin, f"{login}@idp.example") == []
    other_admin = api_client(other_tenant, ["admin"])
    assert users_with_email(other_admin, f"{login}@idp.example") == []


def test_is_a_sign_in_without_an_email_claim_refused(client, admin, tenant, oidc_provider):
    login = unique("noemail")
    refused = client.get(start_sign_in(client, tenant[1], oidc_provider["id"], login))
    assert refused.status_code == 400
    assert "did not share your email address" in refused.text
    assert admin.get("/events", query_string={"type": "identity.linked"}).json["items"] == []


def test_is_an_existing_account_linked_only_when_the_provider_allows_it(
    app, admin, make_user, tenant, oidc_provider
):
    login = unique("carol")
    existing = make_user(tenant, email=f"{login}@idp.example")
    browser = app.test_client()
    refused = browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], login))
    assert refused.status_code == 400
    assert "already exists" in refused.text

    patched = admin.patch(
        f"/identity-providers/{oidc_provider['id']}", json={"link_by_email": True}
    )
    assert patched.json["link_by_email"] is True
    browser = app.test_client()
    done = browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], login))
    assert done.status_code == 303, done.text
    (user,) = users_with_email(admin, f"{login}@idp.example")
    assert user["id"] == existing["id"]


def test_is_an_unverified_email_never_linked_to_an_existing_account(
    app, admin, make_user, tenant, oidc_provider
):
    login = unique("unverified")
    make_user(tenant, email=f"{login}@idp.example")
    admin.patch(f"/identity-providers/{oidc_provider['id']}", json={"link_by_email": True})
    browser = app.test_client()
    refused = browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], login))
    assert refused.status_code == 400
    assert admin.get("/events", query_string={"type": "identity.linked"}).json["items"] == []


def test_does_a_disabled_provider_refuse_to_start(client, admin, tenant, oidc_provider):
    admin.patch(f"/identity-providers/{oidc_provider['id']}", json={"enabled": False})
    refused = client.get(f"/t/{tenant[1]}/login/{oidc_provider['id']}")
    assert refused.status_code == 404
    assert "not available" in refused.text


def test_does_the_login_page_show_one_button_per_enabled_provider(
    client, admin, tenant, oidc_provider
):
    page = client.get(f"/t/{tenant[1]}/login")
    assert f'href="/t/{tenant[1]}/login/{oidc_provider["id"]}"' in page.text
    assert "Test IdP" in page.text
    admin.patch(f"/identity-providers/{oidc_provider['id']}", json={"enabled": False})
    assert "Test IdP" not in client.get(f"/t/{tenant[1]}/login").text


def test_does_mfa_still_apply_after_a_federated_sign_in(
    app, admin, api_client, make_user, tenant, oidc_provider
):
    login = unique("erin")
    password = "federated users keep their second factor"
    make_user(tenant, email=f"{login}@idp.example", password=password, is_verified=True)
    auth = api_client(tenant, ["auth"])
    tokens = auth.post("/auth/login", json={"email": f"{login}@idp.example", "password": password})
    bearer = {"Authorization": f"Bearer {tokens.json['access_token']}"}
    totp = pyotp.TOTP(auth.post("/me/mfa/totp", headers=bearer).json["secret"])
    # The previous step's code confirms; the current one is left for the sign-in (no reuse).
    earlier = totp.at(time.time() - 30)
    confirm = auth.post("/me/mfa/totp/confirm", headers=bearer, json={"code": earlier})
    assert confirm.status_code == 200, confirm.json
    admin.patch(f"/identity-providers/{oidc_provider['id']}", json={"link_by_email": True})

    browser = app.test_client()
    halfway = browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], login))
    assert halfway.status_code == 303
    assert halfway.headers["Location"] == f"/t/{tenant[1]}/mfa"
    assert "authsvc_hosted=" not in halfway.headers.get("Set-Cookie", "")
    page = browser.get(f"/t/{tenant[1]}/mfa")
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text).group(1)
    done = browser.post(
        f"/t/{tenant[1]}/mfa",
        data={"csrf_token": csrf, "code": totp.now()},
        headers={"Referer": f"http://localhost/t/{tenant[1]}/mfa"},
    )
    assert done.status_code == 303, done.text
    assert done.headers["Location"] == f"/t/{tenant[1]}/account"
    assert "authsvc_hosted=" in done.headers["Set-Cookie"]
    logins = admin.get("/events", query_string={"type": "user.login"}).json["items"]
    assert sorted(e["data"]["via"] for e in logins) == ["oidc", "password"]
