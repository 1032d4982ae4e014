"""CORS grants follow the allowed origins of the API key's tenant."""

from __future__ import annotations

ALLOWED = "https://app.tenant-a.test"


def test_allowed_origin_of_the_keys_tenant_gets_a_grant(make_tenant, api_client):
    tenant = make_tenant(settings={"cors_origins": [ALLOWED]})
    response = api_client(tenant).get("/users", headers={"Origin": ALLOWED})
    assert response.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "Origin" in response.headers["Vary"]


def test_origin_of_another_tenant_gets_no_grant(make_tenant, api_client):
    make_tenant(settings={"cors_origins": [ALLOWED]})
    other = make_tenant(settings={"cors_origins": ["https://app.tenant-b.test"]})
    response = api_client(other).get("/users", headers={"Origin": ALLOWED})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


def test_unknown_origin_gets_no_grant(make_tenant, api_client):
    tenant = make_tenant(settings={"cors_origins": [ALLOWED]})
    response = api_client(tenant).get("/users", headers={"Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_preflight_is_granted_only_for_origins_some_tenant_allows(client, make_tenant):
    make_tenant(settings={"cors_origins": [ALLOWED]})
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "X-API-Key, Content-Type",
    }
    client.application.extensions["authsvc.cors"]["fetched_at"] = float("-inf")
    ok = client.options("/api/v1/users", headers={"Origin": ALLOWED, **preflight})
    assert ok.headers["Access-Control-Allow-Origin"] == ALLOWED
    assert "x-api-key" in ok.headers["Access-Control-Allow-Headers"].lower()
    evil = client.options("/api/v1/users", headers={"Origin": "https://evil.test", **preflight})
    assert "Access-Control-Allow-Origin" not in evil.headers


def test_invalid_origin_setting_is_rejected(make_tenant, api_client):
    admin = api_client(make_tenant())
    response = admin.patch("/tenant", json={"settings": {"cors_origins": ["not an origin"]}})
    assert response.status_code == 422
