"""A reader whose system is dark gets dark panel and hosted pages that still pass axe.

The panel sets Bootstrap's ``data-bs-theme`` from ``prefers-color-scheme`` with a tiny
inline script carrying the request's CSP nonce; hosted pages switch by a media query
in the tenant's theme.css.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import sign_in
from tests.browser.test_layout_a11y import WIDTHS, check, ensure_tenant

pytestmark = pytest.mark.browser

PANEL_PAGES = ["/admin/", "/admin/users", "/admin/webhooks", "/admin/webhooks/new", "/admin/theme"]
HOSTED_PAGES = ["/login", "/register", "/forgot-password", "/nope"]


@pytest.fixture(params=list(WIDTHS), scope="module")
def dark_page(request, browser, live_url):
    """A dark-scheme context at each size, signed in, with tenant ``dark-<size>`` current."""
    width, height = WIDTHS[request.param]
    context = browser.new_context(
        viewport={"width": width, "height": height}, color_scheme="dark", bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(8000)
    sign_in(page, live_url)
    ensure_tenant(page, live_url, f"dark-{request.param}")
    yield page, request.param
    context.close()


def test_dark_panel_and_hosted_pages_pass_axe_contrast(dark_page, axe_js, live_url):
    page, size = dark_page
    for path in PANEL_PAGES:
        page.goto(live_url + path)
        assert page.evaluate("document.documentElement.dataset.bsTheme") == "dark", path
        check(page, axe_js, f"dark-panel{path.replace('/', '-').rstrip('-')}-{size}")
    for path in HOSTED_PAGES:
        page.goto(f"{live_url}/t/dark-{size}{path}")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(17, 24, 39)", f"{path} is not dark: {background}"
        check(page, axe_js, f"dark-hosted{path.replace('/', '-')}-{size}")


def test_the_theme_script_runs_under_the_pages_csp(page, live_url):
    """No CSP bypass here: the ``page`` fixture fails on any CSP report."""
    page.emulate_media(color_scheme="dark")
    page.goto(f"{live_url}/admin/login")
    assert page.evaluate("document.documentElement.dataset.bsTheme") == "dark"
    page.emulate_media(color_scheme="light")
    # The script follows a change of the system setting without a reload.
    page.wait_for_function("document.documentElement.dataset.bsTheme === 'light'")
