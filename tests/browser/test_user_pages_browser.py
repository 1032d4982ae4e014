"""The user page's tabs and the user list's bulk actions, export and import, in Chromium,
driven at 390 px: on every page, at 390 and 1440 px, axe finds no serious or critical
violation and nothing scrolls sideways."""

from __future__ import annotations

import re

import pytest

from tests.browser import test_layout_a11y as sweep
from tests.browser.test_layout_a11y import check_each_width, flow_size_only

# The accessibility sweep's fixtures: a signed-in page per screen size, with a populated tenant.
axe_source, signed_in, size = sweep.axe_source, sweep.signed_in, sweep.size

pytestmark = [pytest.mark.browser, flow_size_only]

TABS = ["Profile", "Metadata", "Roles", "Sessions & devices", "Security", "Activity"]


def _open_grace(page, live_url: str, size: str) -> str:
    page.goto(f"{live_url}/admin/users?q=grace")
    page.get_by_role("link", name=f"grace.{size}@example.com").click()
    page.wait_for_url(re.compile(r".*/admin/users/[0-9a-f-]+$"))
    return page.url


def test_every_user_tab_is_accessible_linkable_and_keyboard_usable(
    signed_in, axe_source, live_url, size
):
    page = signed_in
    profile = _open_grace(page, live_url, size)
    tabs = page.locator(".admin-user-tabs")
    for label in TABS:
        tabs.get_by_role("link", name=label).click()
        page.wait_for_load_state()
        current = tabs.locator('[aria-current="page"]')
        assert current.inner_text().strip() == label
        check_each_width(page, axe_source, f"user-tab-{label.split()[0].lower()}")
    # A tab is an ordinary link: reached with Tab and followed with Enter.
    tabs.get_by_role("link", name="Metadata").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{profile}/metadata")
    page.get_by_label("Metadata (JSON object)").fill('{"plan": ')
    page.get_by_role("button", name="Save metadata").click()
    assert "Not valid JSON" in page.locator(".invalid-feedback").inner_text()
    check_each_width(page, axe_source, "user-tab-metadata-error")
    page.get_by_label("Metadata (JSON object)").fill('{"plan": "pro"}')
    page.get_by_role("button", name="Save metadata").click()
    assert "Metadata saved." in page.inner_text("main")


def test_list_bulk_action_export_and_import(signed_in, axe_source, live_url, size, tmp_path):
    page = signed_in
    csv_file = tmp_path / "users.csv"
    csv_file.write_text(
        "email,username,display_name,roles,verified\n"
        f"lin.{size}@example.com,lin-{size},Lin Example,member,yes\n"
        "not-an-email,,,,\n"
    )
    page.goto(f"{live_url}/admin/users/import")
    check_each_width(page, axe_source, "users-import")
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview").click()
    assert (
        "1 row ready to import · 1 with errors"
        in page.get_by_test_id("import-summary").inner_text()
    )
    check_each_width(page, axe_source, "users-import-preview")
    page.get_by_role("button", name="Import 1 user").click()
    assert "1 user(s) imported; 1 row(s) with errors skipped." in page.inner_text("main")

    page.goto(f"{live_url}/admin/users?sort=email&dir=desc")
    check_each_width(page, axe_source, "users-list-sorted")
    page.get_by_label(f"Select lin.{size}@example.com").check()
    page.get_by_label("With the selected users").select_option("disable")
    page.get_by_role("button", name="Apply to selected…").click()
    assert page.get_by_test_id("bulk-title").inner_text() == "Disable: 1 user"
    check_each_width(page, axe_source, "users-bulk-confirm")
    page.get_by_label("Yes, apply this to every selected user").check()
    page.get_by_role("button", name="Disable 1 user").click()
    assert "Disable: 1 of 1 selected user(s) changed." in page.inner_text("main")
    assert page.url.endswith("/admin/users?sort=email&dir=desc")

    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    text = download.value.path().read_text()
    assert text.startswith("id,email,") and f"lin.{size}@example.com" in text
