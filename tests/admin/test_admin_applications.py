"""The panel's applications page: register (secret shown once), edit, delete; tenant-walled."""

from __future__ import annotations

import re

import httpx

from tests.provider.conftest import APP_HOST, OAuth2Client

FORM = {
    "name": "Reports",
    "client_type": "confidential",
    "redirect_uris": "https://reports.example.com/cb",
    "grant_types": ["authorization_code", "client_credentials"],
    "scopes": ["openid", "email"],
}


def test_an_application_registered_in_the_panel_gets_tokens(admin_client, tenant, app):
    client = admin_client(tenant)
    refused = client.post("/admin/applications/new", {**FORM, "redirect_uris": "https://*.x/cb"})
    assert refused.status_code == 422 and "wildcards" in refused.text
    created = client.post("/admin/applications/new", FORM)
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    client_id = re.search(r'id="client-id" value="([0-9a-f]+)"', created.text).group(1)
    secret = re.search(r'id="client-secret" value="(cs_[^"]+)"', created.text).group(1)
    listing = client.get("/admin/applications").text
    assert client_id in listing and secret not in listing
    machine = OAuth2Client(
        client_id,
        secret,
        scope="email",
        transport=httpx.WSGITransport(app=app),
        base_url=APP_HOST,
    )
    token = machine.fetch_token(f"/t/{tenant[1]}/oauth2/token", grant_type="client_credentials")
    assert token["scope"] == "email"
    edit = re.search(r'href="(/admin/applications/[0-9a-f-]+)"', listing).group(1)
    saved = client.post(edit, {**FORM, "name": "Reports 2", "first_party": "y"})
    assert saved.status_code == 200 and "Reports 2" in client.get("/admin/applications").text
    client.post(f"{edit}/delete", {"confirm": "y"})
    assert "No applications yet" in client.get("/admin/applications").text


def test_another_tenants_application_is_not_found(admin_client, tenant, other_tenant, api_client):
    body = {"name": "B app", "redirect_uris": ["https://b.example.com/cb"]}
    foreign = api_client(other_tenant, ["admin"]).post("/applications", json=body).json
    client = admin_client(tenant)
    for url in (
        f"/admin/applications/{foreign['id']}",
        f"/admin/applications/{foreign['id']}/delete",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {**FORM, "confirm": "y"}).status_code == 404, url
    assert (
        api_client(other_tenant, ["admin"]).get(f"/applications/{foreign['id']}").json["name"]
        == "B app"
    )
