"""A real OpenID Provider (panva/oidc-provider on Node.js) on loopback, and a browser stand-in.

The provider runs from ``tests/oidc`` (installed by ``scripts/test.sh`` with
``npm ci`` from the committed lockfile). Its development login form accepts
any login, which becomes the account's subject; see ``tests/oidc/provider.mjs``.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

OIDC_DIR = Path(__file__).resolve().parent.parent / "oidc"
#: Where the test client's requests go; callbacks the provider sends there come back to the app.
APP_ORIGIN = "http://localhost"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[str]:
    """The issuer URL of a running oidc-provider; stopped at the end of the session."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("tests/oidc/node_modules is missing: run `npm ci` in tests/oidc")
    port = _free_port()
    process = subprocess.Popen(
        ["node", "provider.mjs", str(port)],
        cwd=OIDC_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    issuer = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{issuer}/.well-known/openid-configuration", timeout=5)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("the test OpenID Provider did not start")
                time.sleep(0.2)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def loopback_issuers(app):
    """The test provider speaks http on loopback, which only this setting allows."""
    app.config["FEDERATION_ALLOW_HTTP_LOOPBACK"] = True
    yield
    app.config["FEDERATION_ALLOW_HTTP_LOOPBACK"] = False


@pytest.fixture
def oidc_provider(oidc_issuer, loopback_issuers, api_client, tenant):
    """An ``oidc`` provider of ``tenant`` with a client registered at the test provider
    for its exact redirect URI; returns the provider as the API shows it."""
    admin = api_client(tenant, ["admin"])
    body = {"kind": "oidc", "display_name": "Test IdP", "issuer": oidc_issuer, "client_id": "-"}
    created = admin.post("/identity-providers", json=body)
    assert created.status_code == 201, created.json
    registration = requests.post(
        f"{oidc_issuer}/reg",
        json={
            "redirect_uris": [created.json["redirect_uri"]],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "client_secret_basic",
        },
        timeout=30,
    )
    assert registration.status_code == 201, registration.text
    client = {k: registration.json()[k] for k in ("client_id", "client_secret")}
    updated = admin.patch(f"/identity-providers/{created.json['id']}", json=client)
    assert updated.status_code == 200, updated.json
    return updated.json


def _form(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the (only) form on a provider page."""
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', html).group(1))
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return action, hidden


def authenticate_at_provider(authorize_url: str, login: str) -> str:
    """Play the user at the provider: sign in as ``login``, consent, and return the
    callback URL the provider redirects the browser to (not followed)."""
    browser = requests.Session()
    response = browser.get(authorize_url, allow_redirects=False, timeout=30)
    for _step in range(20):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if target.startswith(APP_ORIGIN + "/"):
                return target
            response = browser.get(target, allow_redirects=False, timeout=30)
            continue
        assert response.status_code == 200, response.text
        action, fields = _form(response.text)
        if fields.get("prompt") == "login":
            fields.update(login=login, password="any")
        response = browser.post(
            urljoin(response.url, action), data=fields, allow_redirects=False, timeout=30
        )
    raise AssertionError("the provider never redirected back to the app")


def start_sign_in(client, slug: str, provider_id: str, login: str, **query) -> str:
    """Begin at the hosted page and return the provider's callback URL, path and query only."""
    started = client.get(f"/t/{slug}/login/{provider_id}", query_string=query)
    assert started.status_code == 302, started.text
    callback = urlsplit(authenticate_at_provider(started.headers["Location"], login))
    return f"{callback.path}?{callback.query}"
