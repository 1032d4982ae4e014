"""Every panel and hosted page at 1440 and 390 px: axe-core finds no serious or critical
violation, and nothing scrolls sideways. With AUTHSVC_TEST_SCREENSHOTS=1 each checked page
is photographed into ``test-artifacts/screenshots/``.

axe-core comes from the committed npm lockfile in ``tests/oidc`` (``npm ci``). It is
injected with ``page.add_script_tag``, which the pages' CSP (no inline script) would
block, so these sweeps run in a context that bypasses CSP; the other browser tests
keep checking CSP.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import shoot
from tests.browser.test_admin_panel import ensure_tenant, sign_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "oidc" / "node_modules" / "axe-core" / "axe.min.js"
USER_PASSWORD = "a long password 1"
WIDTHS = {"desktop": (1440, 900), "mobile": (390, 844)}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
PANEL_PAGES = [
    "/admin/",
    "/admin/tenants",
    "/admin/tenants/new",
    "/admin/users",
    "/admin/users/new",
    "/admin/roles",
    "/admin/roles/new",
    "/admin/api-keys",
    "/admin/api-keys/new",
    "/admin/webhooks",
    "/admin/webhooks/new",
    "/admin/theme",
    "/admin/theme/reset",
    "/admin/plugins",
    "/admin/audit",
    "/admin/no-such-page",
    "/admin/users?cursor=not-a-cursor",
]
HOSTED_PAGES = [
    "/",
    "/login",
    "/register",
    "/forgot-password",
    "/reset?token=x",
    "/nope",
    "/account",
    "/account/delete",
]


# Names the element that sticks out furthest to the right, for the failure message.
WIDEST = """() => {
  let worst = null, right = window.innerWidth;
  for (const e of document.querySelectorAll("body *")) {
    const r = e.getBoundingClientRect().right;
    if (r > right) { right = r; worst = e; }
  }
  return worst ? worst.tagName + "." + worst.className + " right=" + right : "";
}"""


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing: run `npm ci` in {AXE.parents[2]}")
    return AXE.read_text()


@pytest.fixture(params=list(WIDTHS), scope="module")
def size(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def signed_in(browser, live_url, size):
    """A CSP-bypassing context at this size, signed in, with tenant ``a11y`` current."""
    width, height = WIDTHS[size]
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(8000)
    sign_in(page, live_url)
    ensure_tenant(page, live_url, f"a11y-{size}")
    populate(page, live_url, size)
    yield page
    context.close()


def populate(page, live_url: str, size: str) -> None:
    """A user (with a hosted sign-in, so a session row) and an API key: tables to lay out."""
    page.goto(f"{live_url}/admin/users/new")
    page.get_by_label("Email", exact=True).fill(f"grace.{size}@example.com")
    page.get_by_label("Username").fill(f"grace-{size}")
    page.get_by_label("Display name").fill("Grace Brewster Murray Hopper")
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=created")
    page.goto(f"{live_url}/t/a11y-{size}/login")
    page.get_by_label("Email or username").fill(f"grace-{size}")
    page.get_by_label("Password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/t/a11y-.*/(signed-in|account)$"))
    page.goto(f"{live_url}/admin/api-keys/new")
    page.get_by_label("Name").fill("a backend with a rather long descriptive name")
    page.get_by_label(re.compile(r"^users:read")).check()
    page.get_by_role("button", name="Create key").click()
    page.get_by_test_id("new-key").wait_for()


def user_pages(page, live_url: str) -> list[str]:
    page.goto(f"{live_url}/admin/users")
    href = page.locator("main table a").first.get_attribute("href")
    return [href, f"{href}/sessions", f"{href}/delete"]


def check(page, axe_source: str, name: str) -> None:
    """No serious or critical axe violation, and no sideways scroll (and a screenshot)."""
    shoot(page, f"a11y-{name}")
    if not page.evaluate("typeof window.axe === 'object'"):  # once per document
        page.add_script_tag(content=axe_source)
    # resultTypes: every rule still runs; only violations list all their nodes (axe's
    # own advice for speed), passes one each: enough for the check below.
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags},"
        " resultTypes: ['violations']})",
        AXE_TAGS,
    )
    assert len(result["passes"]) > 10, "axe checked almost nothing: is the page empty?"
    severe = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert severe == [], f"{name}: {severe}"
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    widest = page.evaluate(WIDEST) if overflow > 0 else ""
    assert overflow <= 0, f"{name} is {overflow}px wider than the window: {widest}"


#: Flows are driven once, at the phone width where they are hardest to use; each page
#: they reach is checked at both widths (check_each_width). Sweeps of many pages run a
#: context per width instead.
FLOW_SIZE = "mobile"
flow_size_only = pytest.mark.parametrize("size", [FLOW_SIZE], indirect=True)


def check_each_width(page, axe_source: str, name: str) -> None:
    """check() at every width of WIDTHS (``<name>-<size>`` screenshots); the viewport
    is then put back, so the flow goes on where it was."""
    start = page.viewport_size
    for size, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        check(page, axe_source, f"{name}-{size}")
    page.set_viewport_size(start)


def _name(path: str, size: str) -> str:
    path = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "id", path.lower())  # stable file names
    return re.sub(r"[^a-z0-9]+", "-", path).strip("-") or "home"


def test_panel_pages_are_accessible_and_fit_the_screen(signed_in, axe_source, live_url, size):
    page = signed_in
    for path in PANEL_PAGES + user_pages(page, live_url):
        response = page.goto(live_url + path)
        expected = {"/admin/no-such-page": 404, "/admin/users?cursor=not-a-cursor": 422}
        path = path.removeprefix(live_url)
        assert response.status == expected.get(path, 200), path
        check(page, axe_source, f"panel-{_name(path, size)}-{size}")


def test_error_pages_stay_in_the_panel_with_a_way_back(signed_in, live_url):
    page = signed_in
    page.goto(f"{live_url}/admin/users?cursor=not-a-cursor")
    assert "Not a cursor" in page.get_by_test_id("error-page").inner_text()
    page.get_by_role("link", name="Start this page again").click()
    assert page.url.endswith("/admin/users") and "Users" in page.inner_text("h1")
    page.goto(f"{live_url}/admin/no-such-page")
    page.get_by_role("link", name="Back to the dashboard").click()
    assert "Dashboard" in page.inner_text("h1")


def test_hosted_pages_are_accessible_and_fit_the_screen(signed_in, axe_source, live_url, size):
    page = signed_in
    for path in HOSTED_PAGES:
        page.goto(f"{live_url}/t/a11y-{size}{path}")
        check(page, axe_source, f"hosted-{_name(path, size)}-{size}")
    page.goto(f"{live_url}/t/a11y-{size}/nope")
    page.get_by_role("link", name="Go to the start page").click()
    assert page.url.endswith(f"/t/a11y-{size}/")
    page.goto(f"{live_url}/admin/login")
    check(page, axe_source, f"panel-login-{size}")


def test_below_992px_the_menu_and_sign_out_are_one_tap_away(signed_in, live_url, size):
    page = signed_in
    page.goto(f"{live_url}/admin/")
    nav = page.get_by_role("navigation", name="Admin sections")
    if size == "desktop":
        assert (
            nav.is_visible() and not page.get_by_role("button", name="Open the menu").is_visible()
        )
        return
    assert not nav.is_visible(), "the sidebar is hidden until opened"
    page.get_by_role("button", name="Open the menu").click()
    nav.get_by_role("link", name="Users").click()
    page.wait_for_url(re.compile(r".*/admin/users$"))
    page.get_by_test_id("account-menu").click()
    sign_out = page.get_by_role("button", name="Sign out")
    box = sign_out.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTHS[size][0]
    sign_out.click()
    page.wait_for_url(re.compile(r".*/admin/login$"))
    sign_in(page, live_url)  # leave the module's page signed in for the other tests


@flow_size_only
def test_a_deactivated_tenants_pages_say_the_service_is_unavailable(
    browser, live_url, axe_source, size
):
    width, height = WIDTHS[size]
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_url)
    ensure_tenant(page, live_url, f"gone-{size}")
    page.goto(f"{live_url}/admin/tenants")
    page.get_by_role("link", name=f"Gone {size.title()}").first.click()
    page.get_by_role("link", name="Deactivate…").click()
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Deactivate").click()
    response = page.goto(f"{live_url}/t/gone-{size}/login")
    assert response.status == 503
    assert "unavailable at the moment" in page.inner_text("main")
    check_each_width(page, axe_source, "hosted-unavailable")
    context.close()


@flow_size_only
def test_an_end_user_turns_on_two_factor_from_the_account_page(
    signed_in, axe_source, live_url, size
):
    """The populated user is signed in on the hosted pages of this context."""
    import pyotp

    page = signed_in
    page.goto(f"{live_url}/t/a11y-{size}/account")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    check_each_width(page, axe_source, "hosted-account-totp")
    secret = page.get_by_test_id("totp-secret").inner_text()
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    assert page.get_by_test_id("recovery-codes").locator("li").count() == 10
    check_each_width(page, axe_source, "hosted-account-recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    assert "On:" in page.get_by_test_id("mfa-state").inner_text()
    check_each_width(page, axe_source, "hosted-account-mfa-on")
    page.get_by_label("Your password").fill(USER_PASSWORD)
    page.get_by_role("button", name="Turn off two-factor authentication").click()
    assert "two-factor authentication is off" in page.inner_text("main").lower()


def choose_tenant(page, live_url: str, slug: str) -> None:
    """Make ``slug`` current through the panel's switcher (in the menu, on any width);
    with a single tenant there is no switcher and nothing to choose."""
    page.goto(f"{live_url}/admin/")
    if page.locator("#tenant-switch").count() == 0:
        return
    page.eval_on_selector(
        "#tenant-switch",
        """(select, slug) => {
            const wanted = [...select.options].find(o => o.text.trim().endsWith(`(${slug})`));
            select.value = wanted.value;
            select.form.submit();
        }""",
        slug,
    )
    page.wait_for_selector("text=Switched tenant.")


@flow_size_only
def test_organization_pages_work_and_are_accessible_in_the_panel(
    signed_in, axe_source, live_url, size
):
    """An admin creates an organization, adds the populated user as its owner, invites
    someone, meets the last-owner rule and revokes the invitation; every page is checked."""
    page = signed_in
    choose_tenant(page, live_url, f"a11y-{size}")
    page.goto(f"{live_url}/admin/organizations")
    page.get_by_role("link", name="New organization").click()
    check_each_width(page, axe_source, "panel-organization-new")
    page.get_by_label("Name").fill(f"Analytical Engines of {size}")
    page.get_by_label("Slug").fill(f"engines-{size}")
    page.get_by_label("Email domains").fill("example.com")
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=saved")
    page.get_by_role("link", name="Add member").click()
    check_each_width(page, axe_source, "panel-organization-member-new")
    page.get_by_label("User's email").fill(f"grace.{size}@example.com")
    page.get_by_label("admin", exact=True).check()
    page.get_by_role("button", name="Add member").click()
    page.wait_for_selector("text=is now a member")
    page.get_by_role("link", name="Invite").click()
    check_each_width(page, axe_source, "panel-organization-invite")
    page.get_by_label("Email", exact=True).fill(f"ada.{size}@example.com")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_selector("text=invitation to")
    check_each_width(page, axe_source, "panel-organization-detail")
    page.get_by_role("link", name=re.compile(r"^Roles of grace")).click()
    page.get_by_label("admin", exact=True).uncheck()
    page.get_by_label("member", exact=True).check()
    page.get_by_role("button", name="Save roles").click()
    assert "Make another member an owner first." in page.inner_text("main")
    check_each_width(page, axe_source, "panel-organization-member-roles-refused")
    page.get_by_role("link", name=f"Analytical Engines of {size}").click()
    page.get_by_role("link", name=re.compile(r"^Remove grace")).click()
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Remove member").click()
    assert "last owner" in page.inner_text("main")
    check_each_width(page, axe_source, "panel-organization-member-remove-refused")
    page.get_by_role("link", name="Cancel").click()
    page.get_by_role("link", name=re.compile(r"^Revoke the invitation")).click()
    page.get_by_label("I understand this cannot be undone").check()
    page.get_by_role("button", name="Revoke invitation").click()
    page.wait_for_selector("text=was revoked")
    assert "revoked" in page.get_by_test_id("invitations").inner_text()
    page.get_by_role("link", name="Edit").click()
    check_each_width(page, axe_source, "panel-organization-edit")
