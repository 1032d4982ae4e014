"""authsvc as the OpenID Provider of a tenant's application, in a real browser.

Real components end to end: authsvc on a live server (PostgreSQL), a relying party built
with authlib's Flask client on its own port, headless Chromium through Playwright, PyJWT
checking the ID token against the JWKS. The RP is browsed as ``localhost`` and authsvc as
``127.0.0.1``, so their cookies stay apart as on two sites. With
AUTHSVC_TEST_SCREENSHOTS=1, screenshots go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest
import requests

from authsvc.tenancy import tenant_context
from tests.browser.conftest import fresh_database, shoot
from tests.browser.relying_party import build, discovery, serving
from tests.conftest import make_app

pytestmark = pytest.mark.browser
SLUG = "rp-co"
PASSWORD = "relying party user password"


@pytest.fixture(scope="module")
def site(postgres_url, tmp_path_factory) -> Iterator[dict]:
    """authsvc served live with its issuer on its own address, a tenant and an API key."""
    from flask_migrate import upgrade

    from authsvc.apikeys.service import create_api_key
    from authsvc.tenants.service import create_tenant

    with serving() as (deferred, port):
        url = f"http://127.0.0.1:{port}"
        app = make_app(
            fresh_database(postgres_url), tmp_path_factory.mktemp("oidc-browser"), BASE_URL=url
        )
        with app.app_context():
            upgrade()
            tenant = create_tenant(SLUG, "RP Co")
            with tenant_context(tenant.id):
                _key, key = create_api_key("backend", ["admin", "auth"])
        deferred.app = app
        yield {"url": url, "issuer": f"{url}/t/{SLUG}", "key": key}


def api(site, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"X-API-Key": site["key"]}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    response = requests.request(
        method, f"{site['url']}/api/v1{path}", headers=headers, timeout=10, **kwargs
    )
    assert response.status_code < 300, response.text
    return response.json()


def make_user(site, email: str, totp: bool = False) -> pyotp.TOTP | None:
    """A verified user; with ``totp``, one who turned TOTP on through the API."""
    body = {"email": email, "password": PASSWORD, "is_verified": True, "display_name": "Ada RP"}
    api(site, "POST", "/users", json=body)
    if not totp:
        return None
    tokens = api(site, "POST", "/auth/login", json={"email": email, "password": PASSWORD})
    secret = api(site, "POST", "/me/mfa/totp", tokens["access_token"])["secret"]
    factor = pyotp.TOTP(secret)
    code = {"code": factor.at(time.time() - 30)}
    api(site, "POST", "/me/mfa/totp/confirm", tokens["access_token"], json=code)
    return factor


def relying_party(site, deferred, port: int, **fields) -> str:
    """Register the RP as an application of the tenant and start it; returns its URL."""
    base = f"http://localhost:{port}"
    application = {
        "name": "Relying Party",
        "redirect_uris": [f"{base}/callback"],
        "post_logout_redirect_uris": [f"{base}/bye"],
        "grant_types": ["authorization_code"],
        "scopes": ["openid", "profile", "email"],
        **fields,
    }
    created = api(site, "POST", "/applications", json=application)
    deferred.app = build(site["issuer"], created["client_id"], created["client_secret"], base)
    return base


def sign_in_on_the_hosted_page(page, email: str) -> None:
    page.get_by_label("Email or username").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out_through_the_rp(page, site, rp_url: str) -> None:
    """RP-initiated logout with the ID token as hint: back at the RP, the hosted session gone."""
    page.get_by_role("link", name="Sign out").click()
    page.wait_for_url(f"{rp_url}/bye?state=bye-state")
    assert "Signed out of Relying Party" in page.inner_text("h1")
    page.goto(f"{site['url']}/t/{SLUG}/account")
    assert "/login" in page.url


def test_a_user_signs_in_to_an_application_consents_and_signs_out(site, page):
    email = "ada@rp.example"
    make_user(site, email)
    with serving() as (deferred, port):
        rp_url = relying_party(site, deferred, port)
        page.goto(rp_url)
        page.get_by_role("link", name="Sign in with authsvc").click()
        page.wait_for_url(f"{site['url']}/t/{SLUG}/login**")
        sign_in_on_the_hosted_page(page, email)
        page.wait_for_selector("text=Allow Relying Party to use your RP Co account?")
        shoot(page, "oidc-consent")
        page.get_by_role("button", name="Allow").click()
        page.wait_for_url(f"{rp_url}/callback**")
        assert page.inner_text("h1") == "Signed in as Ada RP"
        assert page.inner_text("#email") == email
        assert page.inner_text("#amr") == "['pwd']"
        shoot(page, "oidc-rp-signed-in")
        sign_out_through_the_rp(page, site, rp_url)


def test_a_totp_user_passes_the_code_page_on_the_way_to_a_first_party_application(site, page):
    email = "grace@rp.example"
    factor = make_user(site, email, totp=True)
    with serving() as (deferred, port):
        rp_url = relying_party(site, deferred, port, first_party=True)
        page.goto(rp_url)
        page.get_by_role("link", name="Sign in with authsvc").click()
        sign_in_on_the_hosted_page(page, email)
        page.wait_for_url(f"{site['url']}/t/{SLUG}/mfa")
        page.get_by_label("Authentication code").fill(factor.now())
        page.get_by_role("button", name="Verify").click()
        # First-party: no consent page between the code page and the application.
        page.wait_for_url(f"{rp_url}/callback**")
        assert page.inner_text("#amr") == "['pwd', 'otp', 'mfa']"
        shoot(page, "oidc-rp-signed-in-mfa")
        sign_out_through_the_rp(page, site, rp_url)
    assert discovery(site["issuer"])["end_session_endpoint"].startswith(site["issuer"])
