"""The embeddable sign-in widget (/t/<slug>/widget.js) in Chromium, on another origin.

The page is served from ``http://localhost:<port>`` with a strict Content-Security-Policy;
authsvc is ``http://127.0.0.1:<port>``, so every API call the widget makes is
cross-origin and needs the tenant's CORS grant.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyotp
import pytest
from authsvc_client import AuthsvcClient, InvalidToken, MfaRequired, TokenVerifier

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("AUTHSVC_TEST_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "widget sign-in password"
PACKAGE = Path(__file__).resolve().parents[2] / "clients" / "js"


class Embedder:
    """A tenant's site on its own origin, with one page embedding the widget."""

    def __init__(self, authsvc: str, slug: str, api_key: str, module: bytes = b"") -> None:
        """``module``: the npm package's widget.js, imported from this site, instead of
        the script authsvc serves."""
        nonce = secrets.token_urlsafe(12)
        self.policy = (
            f"default-src 'none'; script-src 'nonce-{nonce}' 'self' {authsvc}; "
            f"connect-src {authsvc}; style-src 'self'"
        )
        loader = (
            f'<script nonce="{nonce}" type="module">import {{ loadAuthsvcElements }} from '
            f'"/widget.js"; await loadAuthsvcElements({{ baseUrl: "{authsvc}", '
            f'tenant: "{slug}" }});</script>'
            if module
            else f'<script nonce="{nonce}" src="{authsvc}/t/{slug}/widget.js"></script>'
        )
        self.html = f"""<!doctype html><html><head><title>Acme app</title></head><body>
<authsvc-sign-up api-key="{api_key}"></authsvc-sign-up>
<authsvc-sign-in api-key="{api_key}"></authsvc-sign-in>
<authsvc-user-button api-key="{api_key}"></authsvc-user-button>
<script nonce="{nonce}">
  document.addEventListener("authsvc:signed-up", (event) => {{ window.signedUp = event.detail; }});
  document.addEventListener("authsvc:signed-out", () => {{ window.signedOut = true; }});
  document.addEventListener("authsvc:signed-in", (event) => {{
    window.signedIn = event.detail;
    document.querySelector("authsvc-user-button").accessToken = event.detail.accessToken;
  }});
</script>
{loader}
</body></html>""".encode()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                script = self.path == "/widget.js" and module
                body = module if script else site.html
                self.send_response(200)
                kind = "text/javascript" if script else "text/html; charset=utf-8"
                self.send_header("Content-Type", kind)
                self.send_header("Content-Security-Policy", site.policy)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.origin = f"http://localhost:{self.server.server_port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            chromium_sandbox=False,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site(live, make_live_tenant):
    """(embedding site, admin client, tenant, npm package's site); the tenant allows both
    sites' origins (CORS).

    One pair of sites for the module: a preflight carries no key, so it is answered from
    the union of all tenants' origins, which authsvc refreshes every 30 seconds.
    """
    tenant = make_live_tenant()
    site = Embedder(live[0], tenant.slug, tenant.auth_key)
    packaged = Embedder(live[0], tenant.slug, tenant.auth_key, module=built_module())
    admin = AuthsvcClient(live[0], tenant.admin_key)
    origins = [site.origin, packaged.origin]
    admin.call("patch_tenant_item", json={"settings": {"cors_origins": origins}})
    yield site, admin, tenant, packaged
    admin.close()
    site.close()
    packaged.close()


def built_module() -> bytes:
    """@authsvc/client/widget as ``npm pack`` builds it (scripts/widget.mjs)."""
    built = subprocess.run(
        ["node", "scripts/widget.mjs"], cwd=PACKAGE, capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    return (PACKAGE / "src" / "widget.js").read_bytes()


@pytest.fixture
def page(browser):
    """A fresh context; the test fails on any CSP violation of the embedding page."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(10000)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert violations == []


def sign_in(page, email: str, password: str) -> None:
    page.fill("authsvc-sign-in input[name=email]", email)
    page.fill("authsvc-sign-in input[name=password]", password)
    page.click("authsvc-sign-in button")


def test_widget_signs_a_user_in_from_another_origin(page, site, live):
    embedder, admin, tenant, _packaged = site
    admin.call("post_user_list", json={"email": "w@example.com", "password": PASSWORD})
    page.goto(embedder.origin)
    sign_in(page, "w@example.com", "wrong password")
    page.wait_for_selector("authsvc-sign-in [role=alert]:not(:empty)")
    assert page.evaluate("window.signedIn") is None
    sign_in(page, "w@example.com", PASSWORD)
    tokens = page.wait_for_function("() => window.signedIn").json_value()
    claims = TokenVerifier(live[0], tenant.slug).verify(tokens["accessToken"])
    assert claims["email"] == "w@example.com" and tokens["refreshToken"]
    # Themed with the tenant's colours inside the shadow root.
    colour = page.eval_on_selector(
        "authsvc-sign-in button", "b => getComputedStyle(b).backgroundColor"
    )
    assert colour == "rgb(37, 99, 235)"


def test_widget_asks_for_the_code_of_an_mfa_account(page, site):
    embedder, admin, _tenant, _packaged = site
    admin.call("post_user_list", json={"email": "mfa@example.com", "password": PASSWORD})
    session = admin.user_session()
    session.login(PASSWORD, email="mfa@example.com")
    secret = session.call("post_my_totp")["secret"]
    confirmed = session.call("post_my_totp_confirm", json={"code": pyotp.TOTP(secret).now()})
    with pytest.raises(MfaRequired):
        session.login(PASSWORD, email="mfa@example.com")
    page.goto(embedder.origin)
    sign_in(page, "mfa@example.com", PASSWORD)
    page.wait_for_selector("authsvc-sign-in input[name=code]", state="visible")
    # A recovery code: the current TOTP code was just spent on the confirmation.
    page.fill("authsvc-sign-in input[name=code]", confirmed["recovery_codes"][0])
    page.click("authsvc-sign-in button")
    assert page.wait_for_function("() => window.signedIn").json_value()["accessToken"]


def test_a_site_the_tenant_does_not_list_gets_no_sign_in(page, site, live):
    """Same key, same page, but an origin missing from cors_origins: the browser refuses."""
    _embedder, admin, tenant, _packaged = site
    admin.call("post_user_list", json={"email": "s@example.com", "password": PASSWORD})
    stranger = Embedder(live[0], tenant.slug, tenant.auth_key)
    try:
        page.goto(stranger.origin)
        sign_in(page, "s@example.com", PASSWORD)
        page.wait_for_selector("authsvc-sign-in [role=alert]:not(:empty)")
        assert page.evaluate("window.signedIn") is None
    finally:
        stranger.close()


def test_widget_signs_up_shows_the_user_and_signs_out(page, site, live):
    _embedder, _admin, tenant, _packaged = site
    page.goto(site[0].origin)
    page.fill("authsvc-sign-up input[name=email]", "new@example.com")
    page.fill("authsvc-sign-up input[name=password]", PASSWORD)
    page.click("authsvc-sign-up button")
    assert (
        page.wait_for_function("() => window.signedUp").json_value()["user"]["email"]
        == "new@example.com"
    )
    sign_in(page, "new@example.com", PASSWORD)
    token = page.wait_for_function("() => window.signedIn").json_value()["accessToken"]
    page.wait_for_selector("authsvc-user-button span:text('new@example.com')")
    page.click("authsvc-user-button button")
    page.wait_for_function("() => window.signedOut")
    assert page.is_hidden("authsvc-user-button div")
    with pytest.raises(InvalidToken):
        TokenVerifier(live[0], tenant.slug, check_revocation=True).verify(token)


def test_the_npm_package_widget_signs_in_from_the_tenant_site(page, site, live):
    """@authsvc/client/widget, built from the served script's source and imported by the
    site itself, reads the tenant's theme and signs in the same way."""
    _embedder, admin, tenant, packaged = site
    admin.call("post_user_list", json={"email": "npm@example.com", "password": PASSWORD})
    page.goto(packaged.origin)
    sign_in(page, "npm@example.com", PASSWORD)
    tokens = page.wait_for_function("() => window.signedIn").json_value()
    claims = TokenVerifier(live[0], tenant.slug).verify(tokens["accessToken"])
    assert claims["email"] == "npm@example.com"
    colour = page.eval_on_selector(
        "authsvc-sign-in button", "b => getComputedStyle(b).backgroundColor"
    )
    assert colour == "rgb(37, 99, 235)"
