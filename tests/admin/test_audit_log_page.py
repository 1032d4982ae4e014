"""The Audit log page is a core page: always there, newest first (Trust items 17 and 18)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint

from authsvc.plugins import AdminPlugin
from tests.admin.conftest import AdminClient
from tests.conftest import make_app

impostor_bp = Blueprint("impostor_audit", __name__)


@impostor_bp.get("/")
def index():
    return "not the audit log"


def test_can_a_tenant_admin_switch_off_the_audit_log(admin_client, tenant):
    client = admin_client(tenant)
    assert client.post("/admin/plugins/audit/disable").status_code == 404
    plugins_page = client.get("/admin/plugins").text
    assert (
        'data-plugin="audit"' not in plugins_page
        and "Audit log" not in plugins_page.split("<h1")[1]
    ), "the Plugins page no longer lists the audit log"
    page = client.get("/admin/audit")
    assert page.status_code == 200 and "<h1" in page.text and "Audit log" in page.text
    assert 'href="/admin/audit"' in client.get("/admin/").text, "in the panel's navigation"


def test_is_the_audit_log_page_there_for_every_admin_of_the_tenant(admin_client, tenant, make_user):
    tenant_admin, platform_admin = admin_client(tenant), admin_client(platform=True)
    platform_admin.switch(tenant)
    user = make_user(tenant)
    for client in (tenant_admin, platform_admin):
        page = client.get("/admin/audit?action=user.created")
        assert page.status_code == 200 and user["id"] in page.text


def test_can_a_plugin_take_the_audit_logs_place(app, database_url, tmp_path, make_admin, tenant):
    impostor = AdminPlugin(
        name="Audit log", slug="audit", nav_label="Audit log", blueprint=impostor_bp
    )
    other = make_app(database_url, tmp_path, ADMIN_PLUGINS=[impostor])
    registry = other.extensions["authsvc.plugins"]
    assert registry.get("audit") is None and "reserved" in registry.failures["audit"]
    client = AdminClient(other.test_client(), make_admin(tenant))
    assert client.login().status_code == 302
    assert "not the audit log" not in client.get("/admin/audit").text
    assert client.get("/admin/p/audit/").status_code == 404


def test_does_the_audit_log_page_show_the_newest_entry_first(admin_client, tenant):
    client = admin_client(tenant)
    for name in ("first-role", "second-role", "third-role"):
        client.post("/admin/roles/new", {"name": name, "permissions": ""})
    client.get("/admin/")  # shows (and so clears) the "role created" messages
    page = client.get("/admin/audit?action=role.created").text
    positions = [page.index(name) for name in ("third-role", "second-role", "first-role")]
    assert positions == sorted(positions)
    export = client.get("/admin/audit/export.csv?action=role.created").text
    changes = [row[5] for row in list(csv.reader(io.StringIO(export)))[1:]]
    assert ["third-role" in changes[0], "first-role" in changes[2]] == [True, True]


def test_does_the_csv_export_neutralise_every_cell_a_spreadsheet_would_run():
    """Attacker case: text starting with =, +, -, @, a tab or a CR becomes a formula in
    Excel, LibreOffice or Sheets; the export writes it as text (one helper for all CSVs)."""
    from datetime import UTC, datetime

    from admin.views.audit import _csv_row
    from authsvc.audit.models import AuditEntry

    entry = AuditEntry(
        created_at=datetime(2026, 12, 5, tzinfo=UTC),
        actor_type="\t=cmd|' /C calc'!A0",
        actor_id=None,
        action="@SUM(1+1)",
        target_type=None,
        target_id=None,
        ip="\r-2+3",
        changes={},
    )
    cells = _csv_row(entry)[1:]
    assert cells[:2] == ["'\t=cmd|' /C calc'!A0", "'@SUM(1+1)"]
    assert cells[3] == "'\r-2+3" and cells[4] == "{}"
