"""The panel's "Sign-in providers" page: the same service as the API, secrets write-only."""

from __future__ import annotations

import re
import uuid

import pytest
import requests

from authsvc.extensions import db
from authsvc.federation import service, status
from authsvc.tenancy import tenant_context

OIDC = {
    "kind": "oidc",
    "display_name": "Sign in with Contoso",
    "client_id": "contoso-app",
    "client_secret": "first-secret-value",
    "issuer": "https://idp.contoso.example",
    "enabled": "y",
}


def provider_id(response) -> str:
    return re.search(r"/admin/sign-in-providers/([0-9a-f-]{36})", response.headers["Location"])[1]


def stored_secret(app, tenant, provider: str) -> str | None:
    with app.app_context(), tenant_context(tenant[0]):
        return service.client_secret(service.get_provider(provider))


@pytest.fixture
def client(admin_client, tenant):
    return admin_client(tenant)


def test_does_an_admin_add_a_provider_and_see_the_redirect_uri_to_register(
    app, client, api_client, tenant
):
    created = client.post("/admin/sign-in-providers/new", OIDC)
    assert created.status_code == 302, created.text
    found = provider_id(created)
    page = client.get(f"/admin/sign-in-providers/{found}").text
    expected = f"http://localhost/t/{tenant[1]}/login/{found}/callback"
    assert f'<code class="d-block text-break" id="redirect-uri">{expected}</code>' in page
    assert "first-secret-value" not in page and "set (sealed" in page
    shown = api_client(tenant, ["admin"]).get(f"/identity-providers/{found}").json
    assert shown["redirect_uri"] == expected and shown["has_client_secret"] is True
    assert stored_secret(app, tenant, found) == "first-secret-value"
    listing = client.get("/admin/sign-in-providers").text
    assert "Sign in with Contoso" in listing and expected in listing and "enabled" in listing
    entries = api_client(tenant, ["admin"]).get(
        "/audit", query_string={"action": "identity_provider.created"}
    )
    (entry,) = entries.json["items"]
    assert entry["actor_type"] == "admin" and "first-secret-value" not in str(entry)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"issuer": "http://idp.contoso.example"}, "issuer", "Use an https:// issuer URL."),
        ({"issuer": ""}, "issuer", "Use an https:// issuer URL."),
        ({"kind": "microsoft", "directory": "contoso"}, "directory", "directory (tenant) id"),
        ({"scopes": "email profile"}, "scopes", "including openid"),
        ({"display_name": ""}, "display_name", "This field is required."),
        ({"kind": "myspace"}, "kind", "Not a valid choice"),
    ],
)
def test_are_bad_settings_form_errors_and_nothing_is_created(
    client, api_client, tenant, changes, field, message
):
    refused = client.post("/admin/sign-in-providers/new", {**OIDC, **changes})
    assert refused.status_code == 422
    # The message sits under its field, which is marked invalid.
    invalid = re.search(rf'<[^>]+id="{field}"[^>]*>', refused.text)[0]
    assert "is-invalid" in invalid
    assert message in refused.text[refused.text.index(invalid) :]
    assert "first-secret-value" not in refused.text
    assert api_client(tenant, ["admin"]).get("/identity-providers").json == []


def test_does_editing_keep_the_secret_when_empty_and_disable_the_button(
    app, client, api_client, tenant
):
    found = provider_id(client.post("/admin/sign-in-providers/new", OIDC))
    edit = f"/admin/sign-in-providers/{found}"
    body = {**OIDC, "display_name": "Contoso staff", "client_secret": "", "kind": "google"}
    del body["enabled"]
    saved = client.post(edit, body)
    assert saved.status_code == 302, saved.text
    shown = api_client(tenant, ["admin"]).get(f"/identity-providers/{found}").json
    assert shown["display_name"] == "Contoso staff" and shown["enabled"] is False
    assert shown["kind"] == "oidc"  # the kind is fixed at creation
    assert stored_secret(app, tenant, found) == "first-secret-value"
    assert "Contoso staff" not in client.get(f"/t/{tenant[1]}/login").text

    client.post(edit, {**OIDC, "client_secret": "second-secret-value"})
    assert stored_secret(app, tenant, found) == "second-secret-value"
    assert "Contoso staff" not in client.get(f"/t/{tenant[1]}/login").text
    assert "Sign in with Contoso" in client.get(f"/t/{tenant[1]}/login").text


def test_does_delete_ask_first_then_remove_the_provider(client, api_client, tenant):
    found = provider_id(client.post("/admin/sign-in-providers/new", OIDC))
    asked = client.get(f"/admin/sign-in-providers/{found}/delete")
    assert asked.status_code == 200 and "Delete provider" in asked.text
    assert client.post(f"/admin/sign-in-providers/{found}/delete", {}).status_code == 400
    done = client.post(f"/admin/sign-in-providers/{found}/delete", {"confirm": "y"})
    assert done.status_code == 302
    assert api_client(tenant, ["admin"]).get(f"/identity-providers/{found}").status_code == 404


def test_is_a_form_post_without_the_csrf_token_refused(client, api_client, tenant):
    refused = client.post("/admin/sign-in-providers/new", OIDC, csrf=False)
    assert refused.status_code in (400, 422)
    assert api_client(tenant, ["admin"]).get("/identity-providers").json == []


def test_does_another_tenants_admin_get_404_by_url_and_by_post(
    admin_client, api_client, tenant, other_tenant
):
    body = {"kind": "google", "display_name": "Google", "client_id": "a-client"}
    theirs = api_client(tenant, ["admin"]).post("/identity-providers", json=body).json["id"]
    intruder = admin_client(other_tenant)
    for path in (f"/admin/sign-in-providers/{theirs}", f"/admin/sign-in-providers/{theirs}/delete"):
        assert intruder.get(path).status_code == 404
    posted = intruder.post(f"/admin/sign-in-providers/{theirs}", {**OIDC, "kind": "oidc"})
    assert posted.status_code == 404
    deleted = intruder.post(f"/admin/sign-in-providers/{theirs}/delete", {"confirm": "y"})
    assert deleted.status_code == 404
    assert "Sign in with Contoso" not in intruder.get("/admin/sign-in-providers").text
    shown = api_client(tenant, ["admin"]).get(f"/identity-providers/{theirs}").json
    assert shown["display_name"] == "Google"
    assert intruder.get(f"/admin/sign-in-providers/{uuid.uuid4()}").status_code == 404


def test_does_the_list_show_each_providers_reachability(app, client, tenant):
    """Not contacted yet, then failing with the words the status keeps (nothing else)."""
    found = provider_id(client.post("/admin/sign-in-providers/new", OIDC))
    assert "not contacted yet" in client.get("/admin/sign-in-providers").text
    with app.test_request_context(), tenant_context(tenant[0]):
        status.note_failure(service.get_provider(found), requests.ConnectionError("secret-ish"))
        db.session.commit()
    page = client.get("/admin/sign-in-providers").text
    assert "failing" in page and "could not be reached" in page and "1 in a row" in page
    assert "secret-ish" not in page
