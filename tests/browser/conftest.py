"""The browser tests' shared fixtures: one live server and one Chromium per module."""

from tests.browser.test_admin_panel import browser, live_url  # noqa: F401 - fixtures
