"""Administrators, My account and the audit log in Chromium: invite a viewer, accept, see
the viewer refused, change the role, read the audit trail. The flows run at 390 px; each
page passes axe (no serious or critical violation) and fits at 390 and 1440 px, and is
photographed at both."""

from __future__ import annotations

import re
import threading

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from tests.browser.conftest import EMAIL, PASSWORD, ensure_tenant, fresh_database, sign_in
from tests.browser.test_layout_a11y import (  # noqa: F401 - axe_source is a fixture
    FLOW_SIZE,
    WIDTHS,
    axe_source,
    check_each_width,
)
from tests.conftest import make_app

pytestmark = pytest.mark.browser
INVITEE_PASSWORD = "invited admin password"


@pytest.fixture(scope="module")
def live(postgres_url, tmp_path_factory):
    """(url, app): authsvc on a fresh database with a platform admin, served from a thread;
    the app is kept so a test can read the invitation mail from the outbox."""
    from flask_migrate import upgrade

    from authsvc.admins.service import create_admin

    app = make_app(fresh_database(postgres_url), tmp_path_factory.mktemp("admins-browser"))
    with app.app_context():
        upgrade()
        create_admin(EMAIL, PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    thread.join(timeout=5)


def _context(browser):
    width, height = WIDTHS[FLOW_SIZE]
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    context.new_page().set_default_timeout(8000)
    return context


def _mail_link(app, slug: str, address: str, path: str) -> str:
    from authsvc.extensions import db
    from authsvc.mail.models import MailMessage
    from authsvc.tenancy import tenant_context
    from authsvc.tenants.models import Tenant

    with app.app_context():
        tenant_id = db.session.execute(sa.select(Tenant.id).where(Tenant.slug == slug)).scalar()
        with tenant_context(tenant_id):
            texts = db.session.execute(
                sa.select(MailMessage.body_text).where(MailMessage.recipient == address)
            ).scalars()
            text = "\n".join(texts)
    return re.search(rf"https?://\S+/admin/{path}\?token=\S+", text).group(0)


def _shot(page, axe_source, name: str) -> None:  # noqa: F811
    check_each_width(page, axe_source, f"admins-{name}")


def test_an_admin_invites_a_viewer_who_is_refused_changes(browser, live, axe_source):  # noqa: F811
    url, app = live
    size = FLOW_SIZE
    root = _context(browser).pages[0]
    sign_in(root, url)
    slug = f"adm-{size}"
    ensure_tenant(root, url, slug)
    root.goto(f"{url}/admin/admins")
    _shot(root, axe_source, "list")
    invitee = f"viewer-{size}@example.com"
    root.get_by_label("Email").fill("not an email")
    root.get_by_role("button", name="Send invitation").click()
    assert "Enter an email address" in root.inner_text("main")
    _shot(root, axe_source, "invite-error")
    root.get_by_label("Email").fill(invitee)
    root.get_by_label("Role").select_option("viewer")
    root.get_by_role("button", name="Send invitation").click()
    assert f"Invitation sent to {invitee}" in root.inner_text("main")

    guest = _context(browser).pages[0]
    link = _mail_link(app, slug, invitee, "accept").replace("http://localhost", url)
    guest.goto(link)
    _shot(guest, axe_source, "accept")
    guest.get_by_label("New password").fill(INVITEE_PASSWORD)
    guest.get_by_label("Repeat the password").fill(INVITEE_PASSWORD)
    guest.get_by_role("button", name="Save password").click()
    guest.wait_for_url(re.compile(r".*/admin/login$"))
    assert guest.goto(link).status == 410, "the link works once"
    _shot(guest, axe_source, "link-used")
    guest.goto(f"{url}/admin/login")
    guest.get_by_label("Email").fill(invitee)
    guest.get_by_label("Password").fill(INVITEE_PASSWORD)
    guest.get_by_role("button", name="Sign in").click()
    guest.wait_for_url(re.compile(r".*/admin/$"))
    guest.goto(f"{url}/admin/roles/new")
    guest.get_by_label("Name").fill("viewer-made")
    guest.get_by_role("button", name="Save").click()
    assert "read-only" in guest.inner_text("main")
    _shot(guest, axe_source, "viewer-refused")
    guest.context.close()

    root.goto(f"{url}/admin/admins")
    root.get_by_role("link", name=invitee).click()
    assert "Viewer" in root.get_by_test_id("role").inner_text()
    _shot(root, axe_source, "detail")
    root.get_by_role("combobox", name="Role").select_option("tenant")
    root.get_by_role("button", name="Change role").click()
    assert "Tenant admin" in root.get_by_test_id("role").inner_text()
    root.get_by_role("button", name="Email a password reset link").click()
    assert "password reset link was sent" in root.inner_text("main")
    reset = _mail_link(app, slug, invitee, "reset-password").replace("http://localhost", url)
    stranger = _context(browser).pages[0]
    stranger.goto(reset)
    _shot(stranger, axe_source, "reset-password")
    stranger.context.close()
    root.get_by_role("link", name="Remove administrator…").click()
    _shot(root, axe_source, "remove-confirm")

    root.goto(f"{url}/admin/admins")
    root.get_by_label("Email").fill(f"second-{size}@example.com")
    root.get_by_role("button", name="Send invitation").click()
    assert f"second-{size}@example.com" in root.get_by_test_id("invitations").inner_text()
    _shot(root, axe_source, "list-pending")
    root.get_by_role("link", name=re.compile("^Revoke")).first.click()
    _shot(root, axe_source, "revoke-confirm")
    root.get_by_label("I understand this cannot be undone").check()
    root.get_by_role("button", name="Revoke invitation").click()
    assert "is revoked" in root.inner_text("main")
    root.context.close()


def test_my_account_and_the_audit_log_read_well(browser, live, axe_source):  # noqa: F811
    url, _app = live
    size = FLOW_SIZE
    page = _context(browser).pages[0]
    sign_in(page, url)
    ensure_tenant(page, url, f"log-{size}")
    page.goto(f"{url}/admin/account")
    assert page.get_by_test_id("totp-secret").is_visible()
    _shot(page, axe_source, "my-account")
    page.get_by_label("Current password").fill("not my password")
    page.get_by_label("New password").fill("short")
    page.get_by_role("button", name="Change password").click()
    main = page.inner_text("main")
    assert "not your current password" in main and "at least 8" in main
    _shot(page, axe_source, "my-account-errors")
    page.goto(f"{url}/admin/account/sessions/end")
    _shot(page, axe_source, "end-sessions")

    page.goto(f"{url}/admin/roles/new")  # something for the new tenant's log
    page.get_by_label("Name").fill("auditor")
    page.get_by_role("button", name="Save").click()
    page.goto(f"{url}/admin/audit")
    # Times are shown in the browser's zone with a relative time ("… ago" / "now").
    first_time = page.locator("time[data-local-time]").first.inner_text()
    assert "(" in first_time and "UTC" not in first_time
    _shot(page, axe_source, "audit")
    page.get_by_role("link", name="Admin actions").click()
    assert "admin" in page.locator("tbody").inner_text()
    page.get_by_role("link", name=re.compile("^Details")).first.click()
    assert EMAIL in page.get_by_test_id("actor").inner_text()
    _shot(page, axe_source, "audit-entry")
    response = page.goto(f"{url}/admin/audit?since=2026-02-31")
    assert response.status == 400
    assert "Enter a date as YYYY-MM-DD." in page.inner_text("main")
    _shot(page, axe_source, "audit-bad-date")
    page.context.close()
