"""Managing a tenant's identity providers through /api/v1/identity-providers."""

from __future__ import annotations

import pytest

GOOGLE = {"kind": "google", "display_name": "Google", "client_id": "g-client"}


@pytest.fixture
def admin(api_client, tenant):
    return api_client(tenant, ["admin"])


def test_is_the_client_secret_sealed_and_never_returned(app, admin):
    created = admin.post("/identity-providers", json={**GOOGLE, "client_secret": "top-secret-1"})
    assert created.status_code == 201, created.json
    assert created.json["has_client_secret"] is True
    assert created.json["issuer"] == "https://accounts.google.com"
    assert created.json["redirect_uri"].endswith(f"/login/{created.json['id']}/callback")
    shown = [created.json, admin.get(f"/identity-providers/{created.json['id']}").json]
    shown += admin.get("/identity-providers").json
    assert all("client_secret" not in body and "top-secret-1" not in str(body) for body in shown)
    entries = admin.get("/audit", query_string={"action": "identity_provider.created"}).json
    assert "top-secret-1" not in str(entries)
    assert entries["items"][0]["changes"]["fields"]["client_secret"] == "created"


def test_does_the_microsoft_preset_build_the_entra_issuer_from_the_directory(admin):
    body = {**GOOGLE, "kind": "microsoft", "display_name": "Work account"}
    missing = admin.post("/identity-providers", json=body)
    assert missing.status_code == 422
    assert "directory" in missing.json["errors"]
    created = admin.post("/identity-providers", json={**body, "directory": "organizations"})
    assert created.status_code == 201
    assert created.json["issuer"] == "https://login.microsoftonline.com/organizations/v2.0"


@pytest.mark.parametrize(
    "issuer",
    ["http://idp.example.com", "https://user:pw@idp.example.com", "ftp://idp.example.com", ""],
)
def test_is_an_issuer_that_is_not_bare_https_refused(admin, issuer):
    body = {**GOOGLE, "kind": "oidc", "issuer": issuer}
    refused = admin.post("/identity-providers", json=body)
    assert refused.status_code == 422
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert "issuer" in refused.json["errors"]
    assert admin.get("/identity-providers").json == []


def test_is_an_http_loopback_issuer_refused_unless_allowed(app, admin):
    body = {**GOOGLE, "kind": "oidc", "issuer": "http://127.0.0.1:9"}
    assert admin.post("/identity-providers", json=body).status_code == 422
    app.config["FEDERATION_ALLOW_HTTP_LOOPBACK"] = True
    try:
        assert admin.post("/identity-providers", json=body).status_code == 201
    finally:
        app.config["FEDERATION_ALLOW_HTTP_LOOPBACK"] = False


def test_are_scopes_without_openid_and_unknown_kinds_refused(admin):
    no_openid = admin.post("/identity-providers", json={**GOOGLE, "scopes": ["email"]})
    assert no_openid.status_code == 422 and "scopes" in no_openid.json["errors"]
    unknown = admin.post("/identity-providers", json={**GOOGLE, "kind": "myspace"})
    assert unknown.status_code == 422


def test_does_patch_change_fields_and_replace_the_secret(admin):
    created = admin.post("/identity-providers", json=GOOGLE).json
    assert created["has_client_secret"] is False
    patched = admin.patch(
        f"/identity-providers/{created['id']}",
        json={"display_name": "Google Workspace", "enabled": False, "client_secret": "s2"},
    )
    assert patched.status_code == 200
    assert patched.json["display_name"] == "Google Workspace"
    assert patched.json["enabled"] is False and patched.json["has_client_secret"] is True


def test_does_delete_remove_the_provider(admin):
    created = admin.post("/identity-providers", json=GOOGLE).json
    assert admin.delete(f"/identity-providers/{created['id']}").status_code == 204
    assert admin.get(f"/identity-providers/{created['id']}").status_code == 404
    audit = admin.get("/audit", query_string={"action": "identity_provider.deleted"}).json
    assert audit["items"][0]["target_id"] == created["id"]


def test_does_a_key_without_the_admin_scope_get_403(api_client, tenant):
    reader = api_client(tenant, ["users:read"])
    assert reader.get("/identity-providers").status_code == 403
    assert reader.post("/identity-providers", json=GOOGLE).status_code == 403
