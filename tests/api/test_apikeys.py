"""API keys: format, shown once, stored hashed, scopes, expiry, revocation."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from tests.sql import statements


def test_created_key_is_shown_once_and_stored_only_as_sha256(app, api_client, tenant):
    admin = api_client(tenant, ["admin"])
    created = admin.post("/api-keys", json={"name": "backend", "scopes": ["users:read"]})
    assert created.status_code == 201
    key = created.json["key"]
    prefix = created.json["prefix"]
    assert key.startswith(f"ak_{prefix}_") and len(key) > 50

    listed = admin.get("/api-keys").json
    assert all("key" not in row and "secret_hash" not in row for row in listed)
    with app.app_context(), tenant_context(tenant[0]):
        stored = db.session.execute(
            sa.text("SELECT secret_hash FROM api_keys WHERE prefix = :p"), {"p": prefix}
        ).scalar_one()
    assert stored == hashlib.sha256(key.encode()).hexdigest()


def test_new_key_works_with_its_scopes_only(client, api_client, tenant):
    admin = api_client(tenant, ["admin"])
    key = admin.post("/api-keys", json={"name": "ro", "scopes": ["users:read"]}).json["key"]
    headers = {"X-API-Key": key}
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    denied = client.post("/api/v1/users", headers=headers, json={"email": "x@example.com"})
    assert denied.status_code == 403
    assert denied.json["detail"] == "This API key lacks the 'users:write' scope."


def test_auth_scope_cannot_manage_users_or_keys(api_client, tenant):
    public = api_client(tenant, ["auth"])
    assert public.get("/users").status_code == 403
    assert public.get("/api-keys").status_code == 403
    assert public.get("/tenant").status_code == 403


def test_missing_unknown_and_malformed_keys_get_401_with_challenge(client, tenant, make_key):
    real = make_key(tenant)
    for headers in (
        {},
        {"X-API-Key": "ak_doesnotexist1_" + "x" * 43},
        {"X-API-Key": "not-a-key"},
        {"X-API-Key": real[:-2] + "zz"},
    ):
        response = client.get("/api/v1/users", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"] == 'ApiKey realm="authsvc"'
        assert response.content_type == "application/problem+json"


def test_revoked_key_stops_working(client, api_client, tenant):
    admin = api_client(tenant, ["admin"])
    created = admin.post("/api-keys", json={"name": "temp", "scopes": ["users:read"]}).json
    headers = {"X-API-Key": created["key"]}
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    assert admin.delete(f"/api-keys/{created['id']}").status_code == 204
    assert client.get("/api/v1/users", headers=headers).status_code == 401
    assert created["id"] not in [row["id"] for row in admin.get("/api-keys").json]


def test_expired_key_is_refused(app, client, tenant, make_key):
    key = make_key(tenant, ["users:read"], expires_at=utcnow() + timedelta(seconds=30))
    assert client.get("/api/v1/users", headers={"X-API-Key": key}).status_code == 200
    with app.app_context(), tenant_context(tenant[0]):
        db.session.execute(
            sa.text("UPDATE api_keys SET expires_at = :t WHERE prefix = :p"),
            {"t": utcnow() - timedelta(seconds=1), "p": key.split("_")[1]},
        )
        db.session.commit()
    # A change made behind the service's back reaches the cache when it is invalidated.
    app.extensions["authsvc.cache"]["apikeys"].invalidate(key.split("_")[1])
    response = client.get("/api/v1/users", headers={"X-API-Key": key})
    assert response.status_code == 401
    assert response.json["detail"] == "The API key has expired."


def test_key_creation_validates_scopes_and_expiry(api_client, tenant):
    admin = api_client(tenant, ["admin"])
    bad = admin.post("/api-keys", json={"name": "x", "scopes": ["root"]})
    assert bad.status_code == 422 and "scopes.0" in bad.json["errors"]
    past = admin.post(
        "/api-keys", json={"name": "x", "scopes": ["auth"], "expires_at": "2001-01-01T00:00:00Z"}
    )
    assert past.status_code == 422 and past.json["errors"] == {
        "expires_at": ["Must be in the future."]
    }
    naive = admin.post(
        "/api-keys", json={"name": "x", "scopes": ["auth"], "expires_at": "2099-01-01T00:00:00"}
    )
    assert naive.status_code == 422


def test_deactivated_tenant_keys_stop_working(app, client, tenant, make_key):
    from authsvc.tenants.service import deactivate_tenant, get_tenant

    key = make_key(tenant)
    assert client.get("/api/v1/users", headers={"X-API-Key": key}).status_code == 200
    with app.app_context():
        deactivate_tenant(get_tenant(tenant[0]))
    assert client.get("/api/v1/users", headers={"X-API-Key": key}).status_code == 401


def test_last_used_at_is_recorded_without_a_write_per_request(app, client, tenant, make_key):
    key = make_key(tenant, ["users:read"])
    prefix = key.split("_")[1]
    with statements(app) as sent:
        for _ in range(5):
            assert client.get("/api/v1/users", headers={"X-API-Key": key}).status_code == 200
    # On PostgreSQL the row-level security settings may precede a statement in its text.
    updates = [s for s in sent if "UPDATE API_KEYS" in s.upper()]
    assert len(updates) == 1
    with app.app_context(), tenant_context(tenant[0]):
        last_used = db.session.execute(
            sa.text("SELECT last_used_at FROM api_keys WHERE prefix = :p"), {"p": prefix}
        ).scalar_one()
    assert last_used is not None
