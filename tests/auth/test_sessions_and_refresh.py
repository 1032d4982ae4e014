"""Refresh-token rotation, theft detection, logout and device sessions."""

from __future__ import annotations

from tests.auth.conftest import PASSWORD

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"


def test_refresh_rotates_and_a_reused_token_kills_the_family(tenant_app):
    tenant_app.signup("rot@example.com")
    first = tenant_app.tokens("rot@example.com")
    second = tenant_app.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    assert second.json["refresh_token"] != first["refresh_token"]
    # The first token was spent: presenting it again means it was stolen.
    stolen = tenant_app.client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert stolen.status_code == 401 and "already used" in stolen.json["detail"]
    # The whole family is dead: the legitimate newer token and its access token too.
    newer = tenant_app.client.post(
        "/auth/refresh", json={"refresh_token": second.json["refresh_token"]}
    )
    assert newer.status_code == 401
    assert tenant_app.as_user("get", "/me", second.json["access_token"]).status_code == 401
    audit = tenant_app.client.get("/audit", query_string={"action": "token.reuse_detected"}).json
    assert len(audit["items"]) == 1


def test_logout_revokes_the_access_token_and_the_session(tenant_app):
    tenant_app.signup("bye@example.com")
    pair = tenant_app.tokens("bye@example.com")
    assert tenant_app.as_user("get", "/me", pair["access_token"]).status_code == 200
    assert tenant_app.as_user("post", "/auth/logout", pair["access_token"]).status_code == 204
    assert tenant_app.as_user("get", "/me", pair["access_token"]).status_code == 401
    refreshed = tenant_app.client.post(
        "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    )
    assert refreshed.status_code == 401


def test_sessions_record_the_device_and_mark_the_current_one(tenant_app):
    tenant_app.signup("dev@example.com")
    phone = tenant_app.tokens(
        "dev@example.com", device_name="Ada's iPhone", user_agent=IPHONE, ip="203.0.113.7"
    )
    laptop = tenant_app.tokens("dev@example.com", device_name="Laptop")
    listed = tenant_app.as_user("get", "/me/sessions", phone["access_token"]).json
    assert len(listed) == 2
    mine = next(row for row in listed if row["current"])
    assert mine["device_name"] == "Ada's iPhone" and mine["device_type"] == "mobile"
    assert mine["browser"].startswith("Mobile Safari") and mine["os"].startswith("iOS")
    assert mine["ip"] == "203.0.113.7"
    other = next(row for row in listed if not row["current"])
    assert (
        tenant_app.as_user(
            "delete", f"/me/sessions/{other['id']}", phone["access_token"]
        ).status_code
        == 204
    )
    assert tenant_app.as_user("get", "/me", laptop["access_token"]).status_code == 401
    assert len(tenant_app.as_user("get", "/me/sessions", phone["access_token"]).json) == 1


def test_sign_out_everywhere_else_keeps_the_current_session(tenant_app):
    tenant_app.signup("many@example.com")
    tokens = [tenant_app.tokens("many@example.com") for _ in range(3)]
    keep = tokens[0]["access_token"]
    assert tenant_app.as_user("delete", "/me/sessions", keep).status_code == 204
    assert tenant_app.as_user("get", "/me", keep).status_code == 200
    for pair in tokens[1:]:
        assert tenant_app.as_user("get", "/me", pair["access_token"]).status_code == 401


def test_admin_lists_and_force_logs_out_a_users_sessions(tenant_app):
    user = tenant_app.signup("forced@example.com")
    pair = tenant_app.tokens("forced@example.com")
    listed = tenant_app.client.get(f"/users/{user['id']}/sessions").json
    assert len(listed) == 1
    assert tenant_app.client.delete(f"/users/{user['id']}/sessions").status_code == 204
    assert tenant_app.as_user("get", "/me", pair["access_token"]).status_code == 401
    assert tenant_app.client.get(f"/users/{user['id']}/sessions").json == []


def test_session_cap_evicts_the_oldest(tenant_app, set_auth_policy):
    set_auth_policy(max_sessions_per_user=2)
    tenant_app.signup("capped@example.com")
    oldest, middle, newest = (tenant_app.tokens("capped@example.com") for _ in range(3))
    assert tenant_app.as_user("get", "/me", oldest["access_token"]).status_code == 401
    for pair in (middle, newest):
        assert tenant_app.as_user("get", "/me", pair["access_token"]).status_code == 200


def test_me_reads_and_updates_the_profile_and_preferences(tenant_app):
    tenant_app.signup("me@example.com")
    token = tenant_app.tokens("me@example.com")["access_token"]
    changed = tenant_app.as_user(
        "patch",
        "/me",
        token,
        json={"display_name": "Me", "preferences": {"notifications": {"email": False}}},
    )
    assert changed.status_code == 200
    tenant_app.as_user("patch", "/me", token, json={"preferences": {"ui": {"theme": "dark"}}})
    me = tenant_app.as_user("get", "/me", token).json
    assert me["display_name"] == "Me"
    assert me["preferences"] == {"notifications": {"email": False}, "ui": {"theme": "dark"}}
    bad = tenant_app.as_user("patch", "/me", token, json={"is_active": False})
    assert bad.status_code == 422


def test_changing_the_password_ends_the_other_sessions(tenant_app):
    tenant_app.signup("pw@example.com")
    here, elsewhere = tenant_app.tokens("pw@example.com"), tenant_app.tokens("pw@example.com")
    body = {"current_password": "wrong one", "new_password": "a brand new passphrase"}
    assert (
        tenant_app.as_user("post", "/me/password", here["access_token"], json=body).status_code
        == 401
    )
    body["current_password"] = PASSWORD
    assert (
        tenant_app.as_user("post", "/me/password", here["access_token"], json=body).status_code
        == 204
    )
    assert tenant_app.as_user("get", "/me", here["access_token"]).status_code == 200
    assert tenant_app.as_user("get", "/me", elsewhere["access_token"]).status_code == 401
    assert tenant_app.login("pw@example.com").status_code == 401
    assert tenant_app.login("pw@example.com", "a brand new passphrase").status_code == 200


def test_a_refresh_token_works_only_in_its_own_tenant(tenant_app, api_client, other_tenant):
    tenant_app.signup("mine@example.com")
    pair = tenant_app.tokens("mine@example.com")
    elsewhere = api_client(other_tenant, ["auth"])
    stolen = elsewhere.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert stolen.status_code == 401 and "not valid" in stolen.json["detail"]
    # Nothing was spent or revoked in the token's own tenant.
    ok = tenant_app.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert ok.status_code == 200


def test_a_refresh_after_logout_is_refused_and_spends_nothing_new(tenant_app):
    tenant_app.signup("late@example.com")
    pair = tenant_app.tokens("late@example.com")
    assert tenant_app.as_user("post", "/auth/logout", pair["access_token"]).status_code == 204
    refused = tenant_app.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refused.status_code == 401 and "session has ended" in refused.json["detail"]
    # Refused, not spent: presenting it again is not mistaken for theft.
    again = tenant_app.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert "session has ended" in again.json["detail"]


def test_a_disabled_user_cannot_refresh_and_the_session_ends(tenant_app):
    user = tenant_app.signup("off@example.com")
    pair = tenant_app.tokens("off@example.com")
    assert tenant_app.client.patch(f"/users/{user['id']}", json={"is_active": False}).status_code
    refused = tenant_app.client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refused.status_code == 401 and "disabled" in refused.json["detail"]
    assert tenant_app.as_user("get", "/me", pair["access_token"]).status_code == 401
    sessions = tenant_app.client.get(f"/users/{user['id']}/sessions").json
    assert sessions == []
