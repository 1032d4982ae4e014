"""Panel pages other than users: dashboard, tenants, roles, API keys, webhooks, audit log."""

from __future__ import annotations

import csv
import io
import re

from tests.conftest import unique


def test_dashboard_counts_and_charts_sign_ups_and_logins(
    admin_client, tenant, make_user, api_client
):
    for _ in range(3):
        make_user(tenant)
    user = make_user(tenant, password="a long password 1")
    auth = api_client(tenant, ["auth"])
    auth.post("/auth/login", json={"email": user["email"], "password": "a long password 1"})
    auth.post("/auth/login", json={"email": user["email"], "password": "wrong password"})
    page = admin_client(tenant).get("/admin/").text
    assert re.search(r'data-testid="stat-users">4<', page)
    assert re.search(r'data-testid="stat-sign-ups">4<', page)
    assert re.search(r'data-testid="stat-logins">1<', page)
    assert re.search(r'data-testid="stat-failed-logins">1<', page)
    assert re.search(r'data-testid="stat-active-sessions">1<', page)
    # The chart is an accessible SVG with the same numbers in a table.
    assert (
        '<svg viewBox="0 0 640 220" role="img" aria-labelledby="activity-title activity-desc"'
        in page
    )
    assert "Totals: Sign-ups: 4, Logins: 1." in page
    assert page.count("<polyline") == 2
    # The chart needs no script; the page's only scripts are files (the panel chrome's)
    # and the one line, with the CSP nonce, that follows the system's dark setting.
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert len(inline) == 1 and "nonce=" in inline[0]


def test_platform_admin_creates_edits_and_deactivates_a_tenant(admin_client, api_client):
    client = admin_client(platform=True)
    slug = unique("acme")
    bad = client.post(
        "/admin/tenants/new", {"slug": "Bad Slug", "name": "Acme", "cors_origins": "ftp://nope"}
    )
    assert bad.status_code == 422 and 'value="Acme"' in bad.text
    assert "Use 1-63 lower-case letters" in bad.text
    created = client.post(
        "/admin/tenants/new",
        {
            "slug": slug,
            "name": "Acme",
            "domains": f"{slug}.example.com",
            "cors_origins": "https://app.example.com",
            "password_min_length": "12",
            "require_mfa_for_admins": "",
            "access_token_ttl_seconds": "600",
            "refresh_token_ttl_seconds": "86400",
            "rate_limit": "100/minute",
        },
    )
    assert created.status_code == 302
    edit_url = created.headers["Location"]
    page = client.get(edit_url).text
    assert f'd-md-inline">{slug}</code>' in page, "the new tenant is current"
    assert 'value="12"' in page and f"{slug}.example.com" in page
    invalid = client.post(edit_url, {"name": "Acme", "password_min_length": "4"})
    assert invalid.status_code == 422 and "Number must be between 8 and 128." in invalid.text
    client.post(
        edit_url,
        {
            "name": "Acme Corp",
            "password_min_length": "14",
            "access_token_ttl_seconds": "600",
            "rate_limit": "100/minute",
            "cors_origins": "https://app.example.com",
        },
    )
    from authsvc.extensions import db
    from authsvc.tenants.models import Tenant

    app = client.client.application
    with app.app_context():
        tenant = db.session.execute(db.select(Tenant).where(Tenant.slug == slug)).scalar_one()
        assert tenant.name == "Acme Corp"
        assert tenant.settings["auth"]["password_min_length"] == 14
        assert tenant.settings["auth"]["access_token_ttl_seconds"] == 600
        assert tenant.settings["rate_limit"] == "100/minute"
        tenant_ref = (tenant.id, tenant.slug)
    key_client = api_client(tenant_ref, ["users:read"])
    assert key_client.get("/users").status_code == 200
    client.post(f"{edit_url}/deactivate", {"confirm": "y"})
    assert "Activate…" in client.get(edit_url).text
    assert key_client.get("/users").status_code == 401, "a deactivated tenant's keys stop"


def test_roles_are_created_edited_and_deleted_with_events(app, admin_client, tenant):
    client = admin_client(tenant)
    bad = client.post("/admin/roles/new", {"name": "Bad Name!", "permissions": "orders:read"})
    assert bad.status_code == 422 and "lower-case" in bad.text
    assert (
        client.post(
            "/admin/roles/new", {"name": "support", "permissions": "orders:read\nusers:read"}
        ).status_code
        == 302
    )
    listing = client.get("/admin/roles").text
    assert "support" in listing and '<code class="me-1">orders:read</code>' in listing
    role_url = re.search(r'href="(/admin/roles/[0-9a-f-]+)">support', listing).group(1)
    dup = client.post("/admin/roles/new", {"name": "support"})
    assert dup.status_code == 422 and "Already taken." in dup.text
    client.post(role_url, {"name": "support", "permissions": "orders:*"})
    assert "orders:*" in client.get("/admin/roles").text
    builtin = re.search(r'href="(/admin/roles/[0-9a-f-]+)">member', listing).group(1)
    assert client.post(f"{builtin}/delete", {"confirm": "y"}).status_code == 302
    assert "member" in client.get("/admin/roles").text, "built-in roles stay"
    client.post(f"{role_url}/delete", {"confirm": "y"})
    assert ">support</a>" not in client.get("/admin/roles").text
    from authsvc.events import Event
    from authsvc.extensions import db
    from authsvc.tenancy import tenant_context

    with app.app_context(), tenant_context(tenant[0]):
        types = db.session.execute(db.select(Event.type).where(Event.type.like("role.%"))).scalars()
        assert sorted(types) == ["role.created", "role.deleted", "role.updated"]


def test_api_key_is_shown_once_works_and_can_be_revoked(admin_client, tenant, app):
    client = admin_client(tenant)
    empty = client.post("/admin/api-keys/new", {"name": "ci"})
    assert empty.status_code == 422 and "Give at least one scope." in empty.text
    created = client.post("/admin/api-keys/new", {"name": "ci", "scopes": ["users:read"]})
    assert created.status_code == 201 and created.headers["Cache-Control"] == "no-store"
    plaintext = re.search(r'value="(ak_[^"]+)"', created.text).group(1)
    assert 'src="/static/admin/copy.js?v=' in created.text
    listing = client.get("/admin/api-keys").text
    assert plaintext not in listing and plaintext.split("_")[1] in listing
    api = app.test_client()
    assert api.get("/api/v1/users", headers={"X-API-Key": plaintext}).status_code == 200
    revoke_url = re.search(r'href="(/admin/api-keys/[0-9a-f-]+/revoke)"', listing).group(1)
    client.post(revoke_url, {"confirm": "y"})
    assert api.get("/api/v1/users", headers={"X-API-Key": plaintext}).status_code == 401
    assert "No active API keys" in client.get("/admin/api-keys").text


def test_webhook_created_tested_rotated_and_deliveries_shown(admin_client, tenant):
    client = admin_client(tenant)
    refused = client.post(
        "/admin/webhooks/new", {"url": "http://127.0.0.1:1/x", "event_types": "user.*"}
    )
    assert refused.status_code == 422 and 'value="http://127.0.0.1:1/x"' in refused.text
    created = client.post(
        "/admin/webhooks/new",
        {"url": "https://hooks.example.com/in", "event_types": "user.*", "is_active": "y"},
    )
    assert created.status_code == 201
    secret = re.search(r'id="new-secret" value="([^"]+)"', created.text).group(1)
    assert secret.startswith("whsec_")
    edit = re.search(r'href="(/admin/webhooks/[0-9a-f-]+)"', created.text).group(1)
    page = client.get(edit).text
    assert secret not in page and "user.*" in page
    client.post(f"{edit}/test")
    page = client.get(edit).text
    assert "webhook.test" in page and "pending" in page
    rotated = client.post(f"{edit}/rotate", {"confirm": "y"})
    new_secret = re.search(r'id="new-secret" value="([^"]+)"', rotated.text).group(1)
    assert new_secret != secret
    assert "healthy" in client.get("/admin/webhooks").text
    client.post(f"{edit}/delete", {"confirm": "y"})
    assert "No webhooks yet" in client.get("/admin/webhooks").text


def test_audit_log_filters_and_exports_csv(admin_client, tenant, make_user):
    client = admin_client(tenant)
    client.post("/admin/roles/new", {"name": "support", "permissions": ""})
    client.post("/admin/roles/new", {"name": "auditors", "permissions": "audit:read"})
    user = make_user(tenant)
    page = client.get("/admin/audit?action=role.created").text
    assert page.count("<code>role.created</code>") == 2 and "<code>user.created</code>" not in page
    by_admin = client.get(f"/admin/audit?actor=admin:{client.email}").text
    assert "<code>role.created</code>" in by_admin and "<code>user.created</code>" not in by_admin
    target = client.get(f"/admin/audit?target_type=user&target_id={user['id']}").text
    assert "<code>user.created</code>" in target and "<code>role.created</code>" not in target
    assert (
        "No audit entries match."
        in client.get("/admin/audit?since=2001-01-01&until=2001-01-02").text
    )
    export = client.get("/admin/audit/export.csv?action=role.created")
    assert export.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == ["time", "actor", "action", "target", "ip", "changes"]
    assert len(rows) == 3 and {row[1] for row in rows[1:]} == {f"admin:{client.email}"}


def test_token_lifetimes_are_typed_with_units_and_all_errors_come_at_once(admin_client):
    client = admin_client(platform=True)
    slug = unique("units")
    created = client.post(
        "/admin/tenants/new",
        {
            "slug": slug,
            "name": "Units",
            "access_token_ttl_seconds": "15m",
            "refresh_token_ttl_seconds": "30d",
        },
    )
    assert created.status_code == 302
    edit_url = created.headers["Location"]
    page = client.get(edit_url).text
    assert 'value="15m"' in page and 'value="30d"' in page
    from authsvc.extensions import db
    from authsvc.tenants.models import Tenant

    with client.client.application.app_context():
        tenant = db.session.execute(db.select(Tenant).where(Tenant.slug == slug)).scalar_one()
        assert tenant.settings["auth"]["access_token_ttl_seconds"] == 900
        assert tenant.settings["auth"]["refresh_token_ttl_seconds"] == 30 * 86400
    bad = client.post(
        edit_url,
        {
            "name": "Units",
            "password_min_length": "4",
            "access_token_ttl_seconds": "2 weeks",
            "refresh_token_ttl_seconds": "10s",
        },
    )
    assert bad.status_code == 422
    for message in (
        "Number must be between 8 and 128.",
        "Give a number with a unit: 90s, 15m, 12h or 30d.",
        "At least 5 minutes (5m).",
    ):
        assert message in bad.text
    assert 'value="2 weeks"' in bad.text, "what was typed stays in the field"
