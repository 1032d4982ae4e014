"""A tenant admin of A reaches none of B's objects, by URL or by form post: always 404."""

from __future__ import annotations

import uuid

import pytest

from authsvc.extensions import db
from authsvc.tenancy import tenant_context


@pytest.fixture
def b_objects(app, other_tenant, make_user, make_key):
    """A user, a custom role and an API key of tenant B."""
    from authsvc.apikeys.service import find_by_prefix
    from authsvc.users.roles import create_role

    user = make_user(other_tenant)
    key = make_key(other_tenant, ["users:read"])
    with app.app_context(), tenant_context(other_tenant[0]):
        role = create_role({"name": "auditor", "permissions": ["orders:read"]})
        key_id = find_by_prefix(key.split("_")[1]).id
        return {"user": user["id"], "role": str(role.id), "key": str(key_id)}


def test_tenant_admin_gets_404_for_another_tenants_objects_by_url(admin_client, tenant, b_objects):
    client = admin_client(tenant)
    urls = [
        f"/admin/users/{b_objects['user']}",
        f"/admin/users/{b_objects['user']}/delete",
        f"/admin/roles/{b_objects['role']}",
        f"/admin/roles/{b_objects['role']}/delete",
        f"/admin/api-keys/{b_objects['key']}/revoke",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Not found" in response.text


def test_tenant_admin_gets_404_posting_forms_at_another_tenants_objects(
    app, admin_client, tenant, other_tenant, b_objects
):
    client = admin_client(tenant)
    user, role, key = b_objects["user"], b_objects["role"], b_objects["key"]
    posts = [
        (f"/admin/users/{user}", {"email": "stolen@example.com", "is_active": "y"}),
        (f"/admin/users/{user}/disable", {}),
        (f"/admin/users/{user}/verify", {}),
        (f"/admin/users/{user}/delete", {"confirm": "y"}),
        (f"/admin/roles/{role}", {"name": "pwned", "permissions": "*"}),
        (f"/admin/roles/{role}/delete", {"confirm": "y"}),
        (f"/admin/api-keys/{key}/revoke", {"confirm": "y"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    # Nothing of B changed.
    from authsvc.apikeys.models import ApiKey
    from authsvc.users.models import Role, User

    with app.app_context(), tenant_context(other_tenant[0]):
        stored = db.session.get(User, (other_tenant[0], uuid.UUID(user)))
        assert stored.email != "stolen@example.com" and stored.is_active
        assert db.session.execute(db.select(Role).where(Role.name == "auditor")).scalar()
        assert db.session.execute(db.select(ApiKey).where(ApiKey.revoked_at.is_(None))).scalar()


def test_tenant_admin_cannot_switch_to_another_tenant(admin_client, tenant, other_tenant):
    client = admin_client(tenant)
    assert client.post("/admin/switch", {"tenant": str(other_tenant[0])}).status_code == 404
    page = client.get("/admin/users")
    assert f'd-md-inline">{tenant[1]}</code>' in page.text


def test_tenant_admin_gets_404_on_platform_pages(admin_client, tenant, other_tenant):
    client = admin_client(tenant)
    for url in (
        "/admin/tenants",
        "/admin/tenants/new",
        f"/admin/tenants/{other_tenant[0]}",
        f"/admin/tenants/{tenant[0]}",
        f"/admin/tenants/{other_tenant[0]}/deactivate",
    ):
        assert client.get(url).status_code == 404, url
    deactivate = client.post(f"/admin/tenants/{other_tenant[0]}/deactivate", {"confirm": "y"})
    assert deactivate.status_code == 404
    assert "Tenants" not in client.get("/admin/").text.split("Admin sections")[1].split("</nav>")[0]


def test_admin_of_two_tenants_switches_and_sees_only_the_current_ones_users(
    admin_client, tenant, other_tenant, make_user
):
    a_user, b_user = make_user(tenant), make_user(other_tenant)
    client = admin_client(tenant, other_tenant)
    client.switch(tenant)
    page = client.get("/admin/users").text
    assert a_user["email"] in page and b_user["email"] not in page
    assert client.get(f"/admin/users/{b_user['id']}").status_code == 404
    client.switch(other_tenant)
    page = client.get("/admin/users").text
    assert b_user["email"] in page and a_user["email"] not in page
    assert client.get(f"/admin/users/{b_user['id']}").status_code == 200


def test_platform_admin_sees_every_tenant_in_the_switcher(admin_client, tenant, other_tenant):
    client = admin_client(platform=True)
    client.switch(tenant)
    page = client.get("/admin/").text
    assert tenant[1] in page and other_tenant[1] in page


def test_plugin_pages_of_a_disabled_plugin_are_404(admin_client, tenant):
    client = admin_client(tenant)
    assert client.get("/admin/p/analytics/").status_code == 200
    client.post("/admin/plugins/analytics/disable")
    assert client.get("/admin/p/analytics/").status_code == 404
    assert "/admin/p/analytics/" not in client.get("/admin/").text


def test_csrf_token_is_required_on_every_panel_form(app, admin_client, tenant, make_user):
    user = make_user(tenant)
    client = admin_client(tenant)
    posts = [
        ("/admin/users/new", {"email": "new@example.com", "is_active": "y"}),
        (f"/admin/users/{user['id']}/disable", {}),
        (f"/admin/users/{user['id']}/delete", {"confirm": "y"}),
        ("/admin/roles/new", {"name": "csrf-role"}),
        ("/admin/api-keys/new", {"name": "k", "scopes": "users:read"}),
        ("/admin/plugins/analytics/disable", {}),
        ("/admin/p/settings/", {"name": "Renamed"}),
        ("/admin/switch", {"tenant": str(tenant[0])}),
    ]
    for url, data in posts:
        response = client.post(url, data, csrf=False)
        assert response.status_code == 400, url
        assert "CSRF" in response.text
        forged = client.post(url, {**data, "csrf_token": "forged"}, csrf=False)
        assert forged.status_code == 400, url
    from authsvc.users.models import Role, User

    with app.app_context(), tenant_context(tenant[0]):
        assert db.session.get(User, (tenant[0], uuid.UUID(user["id"]))).is_active
        assert not db.session.execute(
            db.select(User).where(User.email == "new@example.com")
        ).first()
        assert not db.session.execute(db.select(Role).where(Role.name == "csrf-role")).first()


def test_json_api_is_exempt_from_csrf(api_client, tenant):
    response = api_client(tenant, ["users:write"]).post("/users", json={"email": "x@example.com"})
    assert response.status_code == 201
