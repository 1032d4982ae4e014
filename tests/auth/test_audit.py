"""The audit log records who did what, from where, with secrets redacted."""

from __future__ import annotations

from tests.auth.conftest import PASSWORD


def test_actions_are_audited_with_actor_target_and_request(tenant_app):
    user = tenant_app.signup("aud@example.com")
    tenant_app.client.patch(f"/users/{user['id']}", json={"display_name": "Audited"})
    tenant_app.client.post(
        "/auth/login",
        json={"email": "aud@example.com", "password": PASSWORD},
        headers={"X-End-User-IP": "203.0.113.9", "User-Agent": "pytest-agent"},
    )
    updated = tenant_app.client.get("/audit", query_string={"action": "user.updated"}).json["items"]
    assert len(updated) == 1
    entry = updated[0]
    assert entry["actor_type"] == "api_key" and entry["target_type"] == "user"
    assert entry["target_id"] == user["id"] and entry["request_id"]
    login = tenant_app.client.get("/audit", query_string={"action": "user.login"}).json["items"][0]
    assert login["ip"] == "203.0.113.9" and login["user_agent"] == "pytest-agent"


def test_audit_filters_and_pagination(tenant_app):
    for number in range(3):
        tenant_app.signup(f"p{number}@example.com")
    first = tenant_app.client.get(
        "/audit", query_string={"action": "user.created", "limit": 2}
    ).json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = tenant_app.client.get(
        "/audit", query_string={"action": "user.created", "cursor": first["next_cursor"]}
    ).json
    assert len(rest["items"]) == 1
    bad = tenant_app.client.get("/audit", query_string={"since": "yesterday"})
    assert bad.status_code == 422


def test_audit_needs_its_scope(api_client, tenant):
    assert api_client(tenant, ["users:read"]).get("/audit").status_code == 403
    assert api_client(tenant, ["audit:read"]).get("/audit").status_code == 200


def test_api_key_changes_are_audited(tenant_app):
    created = tenant_app.client.post("/api-keys", json={"name": "ci", "scopes": ["auth"]}).json
    tenant_app.client.delete(f"/api-keys/{created['id']}")
    actions = [e["action"] for e in tenant_app.client.get("/audit").json["items"]]
    assert "apikey.created" in actions and "apikey.revoked" in actions
    assert created["key"] not in str(tenant_app.client.get("/audit").json)


def test_a_sign_in_records_its_session_and_login_events_with_their_audit_rows(tenant_app):
    user = tenant_app.signup("both@example.com")
    signed_in = tenant_app.client.post(
        "/auth/login",
        json={"email": "both@example.com", "password": PASSWORD},
        headers={"X-End-User-IP": "203.0.113.10", "User-Agent": "pytest-agent"},
    )
    assert signed_in.status_code == 200
    entries = {
        action: tenant_app.client.get("/audit", query_string={"action": action}).json["items"]
        for action in ("session.created", "user.login")
    }
    created, login = entries["session.created"][0], entries["user.login"][0]
    assert created["target_type"] == "session" and login["target_id"] == user["id"]
    assert created["actor_id"] == user["id"] and login["actor_type"] == "self"
    assert {created["ip"], login["ip"]} == {"203.0.113.10"}
    assert created["request_id"] == login["request_id"]
    assert created["created_at"] <= login["created_at"]
