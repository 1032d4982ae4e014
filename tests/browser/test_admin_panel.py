"""The admin panel in a real browser (Debian's headless Chromium through Playwright).

One live server (werkzeug, in a thread) on its own fresh PostgreSQL database, one
browser for the module. With AUTHSVC_TEST_SCREENSHOTS=1, screenshots of the main pages
go to ``test-artifacts/screenshots/``. Every page is also checked for CSP violations.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import EMAIL, PASSWORD, ensure_tenant, shoot, sign_in

pytestmark = pytest.mark.browser


def test_platform_admin_creates_a_tenant_a_user_and_a_key_shown_once(page, live_url):
    page.goto(f"{live_url}/admin/login")
    shoot(page, "01-login")
    sign_in(page, live_url)
    assert "There are no tenants yet" in page.inner_text("main")
    shoot(page, "02-dashboard-empty")
    ensure_tenant(page, live_url, "acme")
    assert "Acme" in page.inner_text("[data-testid=current-tenant]")
    shoot(page, "03-tenant-form")

    page.goto(f"{live_url}/admin/users/new")
    page.get_by_label("Email", exact=True).fill("ada@example.com")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("a long password 1")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=User ada@example.com created.")
    page.goto(f"{live_url}/admin/users")
    assert "ada@example.com" in page.inner_text("table")
    shoot(page, "04-users")

    page.goto(f"{live_url}/admin/api-keys/new")
    page.get_by_label("Name").fill("backend")
    page.get_by_label(re.compile(r"^users:read")).check()
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-key").input_value()
    assert re.fullmatch(r"ak_[a-z2-7]{12}_[\w-]{43}", key)
    # copy.js (deferred) reveals the copy button; wait for it rather than race it.
    page.get_by_role("button", name="Copy").wait_for(state="visible")
    shoot(page, "05-api-key-created")
    page.goto(f"{live_url}/admin/api-keys")
    assert key not in page.content() and key.split("_")[1] in page.inner_text("table")
    page.goto(f"{live_url}/admin/")
    assert page.get_by_test_id("stat-users").inner_text() == "1"
    assert page.locator("svg[role=img] polyline").count() == 2
    shoot(page, "06-dashboard")


def test_primary_colour_reaches_the_hosted_login_page(page, live_url):
    sign_in(page, live_url)
    ensure_tenant(page, live_url, "colours")
    page.goto(f"{live_url}/admin/theme")
    page.get_by_label("Primary colour").fill("#aa3300")
    # The live preview follows the edit before it is saved (theme-preview.js).
    preview = page.get_by_test_id("theme-preview")
    assert preview.evaluate("e => e.style.getPropertyValue('--authsvc-primary')") == "#aa3300"
    shoot(page, "07-theme-editor")
    page.get_by_role("button", name="Save theme").click()
    page.wait_for_selector("text=Theme saved")
    page.goto(f"{live_url}/t/colours/login")
    button = page.get_by_role("button", name="Sign in")
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(170, 51, 0)"
    shoot(page, "08-hosted-login-themed")


def test_enabling_a_plugin_adds_its_nav_entry(page, live_url):
    sign_in(page, live_url)
    ensure_tenant(page, live_url, "plugins")
    nav = page.get_by_role("navigation", name="Admin sections")
    assert nav.get_by_role("link", name="Hello").count() == 0
    page.goto(f"{live_url}/admin/plugins")
    page.get_by_role("button", name="Enable Hello").click()
    page.wait_for_selector("text=Hello enabled for this tenant.")
    shoot(page, "09-plugins")
    nav.get_by_role("link", name="Hello").click()
    assert page.get_by_test_id("hello-heading").inner_text() == "Hello, Plugins!"


def test_login_form_works_with_the_keyboard_alone(page, live_url):
    page.goto(f"{live_url}/admin/login")
    focused = []
    for _ in range(4):
        page.keyboard.press("Tab")
        focused.append(
            page.evaluate(
                "document.activeElement.name || document.activeElement.textContent.trim()"
            )
        )
    assert focused == ["Skip to content", "email", "password", "submit"]
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type(EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/admin/$"))
    assert "Dashboard" in page.inner_text("h1")
