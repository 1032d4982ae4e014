"""The hosted account page's email change and app grants in a browser, at 1440 and 390 px,
light and dark: the user asks for a new address, follows the mailed link, confirms, and
removes an app's access. The link is read from the outbox the mail worker would send."""

from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from tests.browser.conftest import sign_in
from tests.browser.test_layout_a11y import FLOW_SIZE, WIDTHS, check_each_width, ensure_tenant

pytestmark = pytest.mark.browser
USER_PASSWORD = "a long password 1"


@pytest.fixture(scope="module")
def site(live_app):
    """(app, URL) of the browser suite's live authsvc."""
    return live_app


def _tenant_and_user(app, slug: str, email: str) -> tuple[uuid.UUID, uuid.UUID]:
    from authsvc.tenants.models import Tenant
    from authsvc.users.models import User

    with app.app_context():
        from authsvc.extensions import db
        from authsvc.tenancy import tenant_context

        tenant = db.session.execute(sa.select(Tenant).where(Tenant.slug == slug)).scalar_one()
        with tenant_context(tenant.id):
            user = db.session.execute(sa.select(User).where(User.email == email)).scalar_one()
            return tenant.id, user.id


def _grant(app, tenant_id, user_id) -> None:
    from authsvc.applications import consents
    from authsvc.applications.service import create_application
    from authsvc.extensions import db
    from authsvc.tenancy import tenant_context

    with app.app_context(), tenant_context(tenant_id):
        application, _secret = create_application(
            {"name": "Photo Printer", "redirect_uris": ["https://printer.example/cb"]}
        )
        consents.remember(user_id, application, ["openid", "profile", "email"])
        db.session.commit()


def _mailed_link(app, tenant_id, address: str, live_url: str) -> str:
    from authsvc.extensions import db
    from authsvc.mail.models import MailMessage
    from authsvc.tenancy import tenant_context

    with app.app_context(), tenant_context(tenant_id):
        body = db.session.execute(
            sa.select(MailMessage.body_text).where(MailMessage.recipient == address)
        ).scalar_one()
    path = re.search(r"http://authsvc\.test(/t/\S+/account/email/confirm\?token=\S+)", body)
    return live_url + path.group(1)


def test_a_user_changes_their_email_and_removes_an_apps_access(browser, site, axe_js):
    size = FLOW_SIZE  # driven once at 390 px; every page checked at both widths
    app, live_url = site
    slug, email = f"acct-{size}", f"ada.{size}@example.com"
    width, height = WIDTHS[size]
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(8000)
    sign_in(page, live_url)
    ensure_tenant(page, live_url, slug)
    page.goto(f"{live_url}/admin/users/new")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=created")
    tenant_id, user_id = _tenant_and_user(app, slug, email)
    _grant(app, tenant_id, user_id)

    page.goto(f"{live_url}/t/{slug}/login")
    page.get_by_label("Email or username").fill(email)
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/account$"))
    grants = page.get_by_test_id("grants")
    assert "Photo Printer" in grants.inner_text()
    page.get_by_role("button", name="Change email address").click()
    assert page.locator(".field-error").count() == 2, "both missing fields, in one pass"
    check_each_width(page, axe_js, "hosted-account-email-errors")
    new = f"ada.new.{size}@example.com"
    page.get_by_label("New email address").fill(new)
    page.get_by_label("Password (to confirm)").fill(USER_PASSWORD)
    page.get_by_role("button", name="Change email address").click()
    assert f"We sent a link to {new}" in page.inner_text("main")
    check_each_width(page, axe_js, "hosted-account-with-grants")
    page.emulate_media(color_scheme="dark")
    check_each_width(page, axe_js, "dark-hosted-account")
    page.emulate_media(color_scheme="light")

    page.goto(_mailed_link(app, tenant_id, new, live_url))
    check_each_width(page, axe_js, "hosted-account-email-confirm")
    page.get_by_role("button", name="Confirm my new email address").click()
    assert new in page.get_by_test_id("email-changed").inner_text()
    check_each_width(page, axe_js, "hosted-account-email-changed")
    page.get_by_role("link", name="Go to your account").click()
    assert f"as {new}" in page.inner_text("main")

    page.get_by_role("button", name="Remove access of Photo Printer").click()
    assert "access is withdrawn" in page.inner_text("main")
    assert "Photo Printer" not in page.get_by_test_id("grants").inner_text()
    context.close()
