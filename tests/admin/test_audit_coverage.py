"""Every change an admin or API key makes is audited: actor, address, request, fields
(Trust item 16). Each test reads the tenant's audit log through ``GET /api/v1/audit``."""

from __future__ import annotations

import json

import pytest

from tests.admin.conftest import PASSWORD, AdminClient, csrf_token

THEME = {
    "primary_color": "#112233",
    "secondary_color": "#475569",
    "accent_color": "#f59e0b",
    "background_color": "#ffffff",
    "text_color": "#111827",
    "font_stack": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
}


@pytest.fixture
def audit_log(api_client, tenant):
    """``audit_log(action)``: the tenant's entries of one action, newest first."""
    reader = api_client(tenant, ["audit:read"])

    def read(action: str) -> list[dict]:
        response = reader.get("/audit", query_string={"action": action})
        assert response.status_code == 200, response.json
        return response.json["items"]

    return read


def _from_this_request(entry: dict, response) -> None:
    """The entry names the request that made the change, and where it came from."""
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert entry["ip"]


def test_are_webhook_changes_audited_without_their_secrets(api_client, tenant, audit_log):
    hooks = api_client(tenant, ["webhooks"])
    created = hooks.post("/webhooks", json={"url": "https://hooks.example.com/in"})
    hook = created.json
    entry = audit_log("webhook.created")[0]
    assert (entry["actor_type"], entry["target_type"]) == ("api_key", "webhook")
    assert entry["target_id"] == hook["id"]
    _from_this_request(entry, created)
    fields = entry["changes"]["fields"]
    assert fields["url"] == {"before": None, "after": "https://hooks.example.com/in"}
    assert fields["secret"] == "created"

    updated = hooks.patch(f"/webhooks/{hook['id']}", json={"description": "CRM sync"})
    entry = audit_log("webhook.updated")[0]
    _from_this_request(entry, updated)
    assert entry["changes"]["fields"] == {"description": {"before": "", "after": "CRM sync"}}

    rotated = hooks.post(f"/webhooks/{hook['id']}/rotate-secret")
    entry = audit_log("webhook.secret_rotated")[0]
    _from_this_request(entry, rotated)
    assert entry["changes"]["fields"] == {"secret": "rotated"}

    deleted = hooks.delete(f"/webhooks/{hook['id']}")
    entry = audit_log("webhook.deleted")[0]
    _from_this_request(entry, deleted)
    assert entry["changes"]["fields"]["url"] == {
        "before": "https://hooks.example.com/in",
        "after": None,
    }
    everything = json.dumps([audit_log(a) for a in ("webhook.created", "webhook.secret_rotated")])
    assert hook["secret"] not in everything and rotated.json["secret"] not in everything


def test_are_plugin_switches_audited(admin_client, tenant, audit_log):
    client = admin_client(tenant)
    enabled = client.post("/admin/plugins/hello/enable")
    disabled = client.post("/admin/plugins/hello/disable")
    for action, response, before in (
        ("plugin.enabled", enabled, False),
        ("plugin.disabled", disabled, True),
    ):
        entry = audit_log(action)[0]
        assert (entry["actor_type"], entry["actor_id"]) == ("admin", client.email)
        assert (entry["target_type"], entry["target_id"]) == ("plugin", "hello")
        assert entry["changes"]["fields"] == {"enabled": {"before": before, "after": not before}}
        _from_this_request(entry, response)


def test_are_admin_sign_ins_sign_outs_and_failures_audited(
    app, make_admin, tenant, other_tenant, audit_log, api_client
):
    email = make_admin(tenant)
    browser = app.test_client()
    token = csrf_token(browser.get("/admin/login").text)
    failed = browser.post(
        "/admin/login",
        data={"email": email, "password": "wrong password", "csrf_token": token},
        environ_base={"REMOTE_ADDR": "203.0.113.77"},
    )
    entry = audit_log("admin.login_failed")[0]
    assert entry["actor_type"] == "anonymous" and entry["ip"] == "203.0.113.77"
    assert entry["changes"] == {"email": email, "step": "password", "locked": False}
    assert entry["request_id"] == failed.headers["X-Request-ID"]

    client = AdminClient(browser, email)
    signed_in = client.login()
    entry = audit_log("admin.login")[0]
    assert (entry["actor_type"], entry["actor_id"]) == ("admin", email)
    assert (
        entry["target_type"] == "admin" and entry["request_id"] == signed_in.headers["X-Request-ID"]
    )
    signed_out = client.post("/admin/logout")
    entry = audit_log("admin.logout")[0]
    assert (entry["actor_type"], entry["actor_id"]) == ("admin", email)
    _from_this_request(entry, signed_out)
    assert PASSWORD not in json.dumps(audit_log("admin.login_failed"))

    # Audited in the admin's own tenants only.
    other = api_client(other_tenant, ["audit:read"])
    theirs = other.get("/audit", query_string={"actor_id": email}).json["items"]
    assert theirs == []


def test_are_admin_sent_reset_mails_audited(admin_client, tenant, make_user, audit_log):
    user = make_user(tenant)
    client = admin_client(tenant)
    sent = client.post(f"/admin/users/{user['id']}/send-reset")
    entry = audit_log("user.password_reset_sent")[0]
    assert (entry["actor_type"], entry["actor_id"]) == ("admin", client.email)
    assert (entry["target_type"], entry["target_id"]) == ("user", user["id"])
    assert entry["changes"] == {"email": user["email"]}
    _from_this_request(entry, sent)


def test_are_theme_changes_audited_with_before_and_after(admin_client, tenant, audit_log):
    client = admin_client(tenant)
    saved = client.post("/admin/theme", {**THEME, "custom_css": ".brand { color: #123456; }"})
    assert saved.status_code == 302
    entry = audit_log("tenant.updated")[0]
    assert (entry["actor_type"], entry["actor_id"]) == ("admin", client.email)
    fields = entry["changes"]["fields"]
    assert fields["theme.primary_color"] == {"before": "#2563eb", "after": "#112233"}
    assert fields["theme.custom_css"]["before"] is None
    assert fields["theme.custom_css"]["after"].startswith("sha256:")
    assert "theme.text_color" not in fields, "unchanged fields are left out"
    _from_this_request(entry, saved)


def test_are_tenant_settings_changes_audited_with_before_and_after(api_client, tenant, audit_log):
    admin = api_client(tenant, ["admin"])
    changed = admin.patch(
        "/tenant",
        json={"name": "Renamed", "settings": {"auth": {"password_min_length": 12}}},
    )
    assert changed.status_code == 200, changed.json
    entry = audit_log("tenant.updated")[0]
    assert entry["actor_type"] == "api_key"
    fields = entry["changes"]["fields"]
    assert fields["name"]["after"] == "Renamed"
    assert fields["settings.auth.password_min_length"] == {"before": None, "after": 12}
    _from_this_request(entry, changed)
