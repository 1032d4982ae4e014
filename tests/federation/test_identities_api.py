"""Tenant apps list sign-in providers; users list and unlink their provider links."""

from __future__ import annotations

import uuid

import pytest

from authsvc.errors import Conflict
from authsvc.federation import accounts
from authsvc.tenancy import tenant_context
from tests.conftest import unique
from tests.federation.conftest import start_sign_in

PASSWORD = "a password as a second way in"


def test_does_an_auth_key_list_only_enabled_providers_with_their_login_url(
    api_client, tenant, oidc_provider
):
    admin = api_client(tenant, ["admin"])
    hidden = {"kind": "google", "display_name": "Off", "client_id": "x", "enabled": False}
    assert admin.post("/identity-providers", json=hidden).status_code == 201
    listed = api_client(tenant, ["auth"]).get("/auth/providers")
    assert listed.status_code == 200
    (button,) = listed.json
    assert button["id"] == oidc_provider["id"] and button["display_name"] == "Test IdP"
    assert button["login_url"].endswith(f"/t/{tenant[1]}/login/{oidc_provider['id']}")
    assert "client_id" not in button and "issuer" not in button


def linked_user(app, api_client, make_user, tenant, oidc_provider) -> tuple[dict, dict]:
    """A password user who also signed in with the provider; (user, bearer header)."""
    login = unique("frank")
    user = make_user(tenant, email=f"{login}@idp.example", password=PASSWORD, is_verified=True)
    admin = api_client(tenant, ["admin"])
    admin.patch(f"/identity-providers/{oidc_provider['id']}", json={"link_by_email": True})
    browser = app.test_client()
    assert (
        browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], login)).status_code
        == 303
    )
    tokens = api_client(tenant, ["auth"]).post(
        "/auth/login", json={"email": user["email"], "password": PASSWORD}
    )
    return user, {"Authorization": f"Bearer {tokens.json['access_token']}"}


def test_can_a_user_list_and_unlink_their_provider_links(
    app, api_client, make_user, tenant, oidc_provider
):
    user, bearer = linked_user(app, api_client, make_user, tenant, oidc_provider)
    auth = api_client(tenant, ["auth"])
    (link,) = auth.get("/me/identities", headers=bearer).json
    assert link["provider_id"] == oidc_provider["id"] and link["email"] == user["email"]
    assert auth.delete(f"/me/identities/{link['id']}", headers=bearer).status_code == 204
    assert auth.get("/me/identities", headers=bearer).json == []
    admin = api_client(tenant, ["admin"])
    unlinked = admin.get("/events", query_string={"type": "identity.unlinked"}).json["items"]
    assert [e["data"]["identity"]["id"] for e in unlinked] == [link["id"]]


def test_is_unlinking_the_last_way_to_sign_in_refused(app, api_client, tenant, oidc_provider):
    login = unique("gina")
    browser = app.test_client()
    assert (
        browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], login)).status_code
        == 303
    )
    admin = api_client(tenant, ["admin"])
    (user,) = admin.get("/users", query_string={"email": f"{login}@idp.example"}).json["items"]
    with app.app_context(), tenant_context(tenant[0]):
        (link,) = accounts.list_identities(uuid.UUID(user["id"]))
        with pytest.raises(Conflict):
            accounts.unlink_identity(uuid.UUID(user["id"]), str(link.id))
        assert len(accounts.list_identities(uuid.UUID(user["id"]))) == 1
