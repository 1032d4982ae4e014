"""The audit log names its actors and targets, opens each entry in a detail view with the
changed fields, offers quick filters, and refuses a malformed date filter out loud."""

from __future__ import annotations

import re

import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.tenancy import tenant_context


def _entry_id(app, tenant, action: str) -> str:
    from authsvc.audit.models import AuditEntry

    with app.app_context(), tenant_context(tenant[0]):
        return str(
            db.session.execute(
                sa.select(AuditEntry.id)
                .where(AuditEntry.action == action)
                .order_by(AuditEntry.created_at.desc())
            )
            .scalars()
            .first()
        )


def test_does_the_log_show_names_with_links_instead_of_ids(admin_client, tenant, make_user):
    user = make_user(tenant)
    client = admin_client(tenant)
    client.post(f"/admin/users/{user['id']}/disable")
    page = client.get("/admin/audit?action=user.updated").text
    assert f'href="/admin/users/{user["id"]}">{user["email"]}</a>' in page
    # The actor is the admin, by email, linked to its page on the Administrators page.
    assert re.search(rf'href="/admin/admins/[0-9a-f-]+">{re.escape(client.email)}</a>', page)
    assert "data-local-time" in page, "times are marked for local display"


def test_does_the_detail_view_show_request_facts_and_the_diff(
    app, admin_client, make_admin, tenant
):
    from tests.admin.test_admin_admins import _admin_id

    email = make_admin(tenant)
    target = _admin_id(app, email)
    client = admin_client(tenant)
    client.client.post(
        f"/admin/admins/{target}/role",
        data={"role": "viewer", "csrf_token": client.token},
        headers={"X-Request-ID": "req-audit-1"},
    )
    detail = client.get(f"/admin/audit/{_entry_id(app, tenant, 'admin.role_changed')}")
    assert detail.status_code == 200
    text = detail.text
    # The test client's user agent (the panel's session protection pins it) and request id.
    assert "Werkzeug/" in text and "req-audit-1" in text
    assert re.search(r'<del[^>]*>"tenant"</del>', text)
    assert re.search(r'<ins[^>]*>"viewer"</ins>', text)
    assert f'href="/admin/admins/{target}">{email}</a>' in text, "the target by name"


def test_is_another_tenants_entry_not_found(app, admin_client, tenant, other_tenant, make_user):
    make_user(other_tenant)
    theirs = _entry_id(app, other_tenant, "user.created")
    client = admin_client(tenant)
    assert client.get(f"/admin/audit/{theirs}").status_code == 404
    assert client.get("/admin/audit/not-a-uuid").status_code == 404
    assert client.get("/admin/audit/00000000-0000-0000-0000-000000000000").status_code == 404


def test_do_the_quick_filters_pick_failed_sign_ins_and_admin_actions(
    app, admin_client, tenant, make_user, api_client
):
    user = make_user(tenant, password="a long password 1")
    api_client(tenant, ["auth"]).post(
        "/auth/login", json={"email": user["email"], "password": "wrong password"}
    )
    client = admin_client(tenant)
    client.post("/admin/roles/new", {"name": "quick-role", "permissions": ""})
    failed = client.get("/admin/audit?quick=failed_sign_ins").text
    # Actions are shown as <code>; the filter form's options list every action anyway.
    assert "<code>user.login_failed</code>" in failed and "<code>role.created</code>" not in failed
    admin_only = client.get("/admin/audit?quick=admin_actions").text
    assert "<code>role.created</code>" in admin_only
    assert "<code>user.login_failed</code>" not in admin_only
    assert 'aria-current="page" href="/admin/audit?quick=admin_actions"' in admin_only


def test_is_an_invalid_date_filter_a_field_error(admin_client, tenant):
    client = admin_client(tenant)
    response = client.get("/admin/audit?since=2026-13-45&until=yesterday")
    assert response.status_code == 400
    assert response.text.count("Enter a date as YYYY-MM-DD.") == 2, "both fields, in one pass"
    assert 'aria-invalid="true"' in response.text
    backwards = client.get("/admin/audit?since=2026-05-02&until=2026-05-01")
    assert backwards.status_code == 400 and "before the start date" in backwards.text
    assert client.get("/admin/audit/export.csv?since=nonsense").status_code == 422
    # A very long value costs nothing and is refused the same way.
    assert client.get("/admin/audit?since=" + "9" * 5000).status_code == 400
