"""A tenant admin adds an OpenID Provider in the panel; an end user signs in through it.

Real components end to end: authsvc on a live server, headless Chromium through
Playwright, and panva's oidc-provider (``tests/oidc``) whose development login
and consent pages the browser fills in. The app is browsed as ``localhost`` and
the provider as ``127.0.0.1``, so their cookies stay apart as on two sites.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
import requests
from werkzeug.serving import make_server

from tests.browser.conftest import EMAIL, PASSWORD, ensure_tenant, fresh_database, sign_in
from tests.conftest import make_app
from tests.federation.conftest import running_provider

pytestmark = pytest.mark.browser
SLUG = "fedco"


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with running_provider() as url:
        yield url


@pytest.fixture(scope="module")
def app_url(postgres_url, tmp_path_factory) -> Iterator[str]:
    from flask_migrate import upgrade

    from authsvc.admins.service import create_admin

    app = make_app(fresh_database(postgres_url), tmp_path_factory.mktemp("federation-browser"))
    # The test provider speaks http on loopback, which only this setting allows.
    app.config["FEDERATION_ALLOW_HTTP_LOOPBACK"] = True
    with app.app_context():
        upgrade()
        create_admin(EMAIL, PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def add_provider_in_the_panel(page, app_url: str, issuer: str) -> None:
    """As the admin: add the provider, register its redirect URI, save the client."""
    page.set_default_timeout(15000)
    sign_in(page, app_url)
    ensure_tenant(page, app_url, SLUG)
    page.goto(f"{app_url}/admin/sign-in-providers/new")
    page.get_by_label("Kind").select_option("oidc")
    page.get_by_label("Button label").fill("Sign in with Test IdP")
    page.get_by_label("Client ID").fill("not-yet")
    page.get_by_label("Issuer URL").fill(issuer)
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Provider added.")
    redirect_uri = page.inner_text("#redirect-uri").strip()
    assert re.fullmatch(rf"{app_url}/t/{SLUG}/login/[0-9a-f-]{{36}}/callback", redirect_uri)
    registration = requests.post(
        f"{issuer}/reg",
        json={"redirect_uris": [redirect_uri], "token_endpoint_auth_method": "client_secret_basic"},
        timeout=30,
    )
    assert registration.status_code == 201, registration.text
    page.get_by_label("Client ID").fill(registration.json()["client_id"])
    page.get_by_label("Client secret").fill(registration.json()["client_secret"])
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=Provider saved.")
    assert registration.json()["client_secret"] not in page.content()


def test_does_an_end_user_sign_in_through_a_provider_the_admin_added(
    browser, page, app_url, issuer
):
    add_provider_in_the_panel(page, app_url, issuer)

    visitor = browser.new_context().new_page()  # no admin cookies
    visitor.set_default_timeout(15000)
    visitor.goto(f"{app_url}/t/{SLUG}/login")
    visitor.get_by_role("link", name="Sign in with Test IdP").click()
    visitor.wait_for_url(f"{issuer}/**")
    visitor.fill("input[name=login]", "walt")
    visitor.fill("input[name=password]", "any password")
    visitor.click("button[type=submit]")
    visitor.wait_for_selector("text=Continue")  # the provider's consent page
    visitor.click("button[type=submit]")
    visitor.wait_for_url(f"{app_url}/t/{SLUG}/account")
    assert "walt@idp.example" in visitor.inner_text("main")
    visitor.context.close()
