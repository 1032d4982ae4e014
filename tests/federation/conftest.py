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
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests

from tests.federation.github_fake import FakeGitHub

OIDC_DIR = Path(__file__).resolve().parent.parent / "oidc"
#: Where the test client's requests go; callbacks the provider sends there come back to the app.
APP_ORIGIN = "http://localhost"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running_provider(mode: str = "normal") -> Iterator[str]:
    """Run ``provider.mjs`` in ``mode`` on a free port; yields its issuer URL."""
    if not (OIDC_DIR / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("tests/oidc/node_modules is missing: run `npm ci` in tests/oidc")
    port = _free_port()
    process = subprocess.Popen(
        ["node", "provider.mjs", str(port), mode],
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


@pytest.fixture(scope="session")
def oidc_issuer() -> Iterator[str]:
    """The issuer URL of a running oidc-provider; stopped at the end of the session."""
    with running_provider() as issuer:
        yield issuer


@pytest.fixture
def loopback_issuers(app):
    """The test provider speaks http on loopback, which only this setting allows."""
    app.config["FEDERATION_ALLOW_HTTP_LOOPBACK"] = True
    yield
    app.config["FEDERATION_ALLOW_HTTP_LOOPBACK"] = False


def register_oidc_provider(admin, issuer: str, configured: str | None = None) -> dict:
    """Add an ``oidc`` provider whose configured issuer is ``configured`` (default
    ``issuer``) and register a client for its exact callback URL at ``issuer``;
    returns the provider as the API shows it."""
    body = {"kind": "oidc", "display_name": "Test IdP", "client_id": "-"}
    created = admin.post("/identity-providers", json={**body, "issuer": configured or issuer})
    assert created.status_code == 201, created.json
    registration = requests.post(
        f"{issuer}/reg",
        json={
            "redirect_uris": created.json["redirect_uris"],
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


@pytest.fixture
def oidc_provider(oidc_issuer, loopback_issuers, api_client, tenant):
    """An ``oidc`` provider of ``tenant`` with a client registered at the test provider
    for its exact redirect URI; returns the provider as the API shows it."""
    return register_oidc_provider(api_client(tenant, ["admin"]), oidc_issuer)


@pytest.fixture(scope="session")
def github_fake() -> Iterator[FakeGitHub]:
    """A fake of GitHub's OAuth and REST endpoints on a loopback port (the provider side)."""
    fake = FakeGitHub()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def github_provider(github_fake, loopback_issuers, api_client, tenant):
    """A ``github`` provider of ``tenant`` pointed at the fake (as at a GitHub Enterprise
    Server), with an OAuth app registered there for its exact callback URL."""
    admin = api_client(tenant, ["admin"])
    body = {"kind": "github", "display_name": "GitHub", "issuer": github_fake.url, "client_id": "-"}
    created = admin.post("/identity-providers", json=body)
    assert created.status_code == 201, created.json
    client_id, secret = github_fake.register(created.json["redirect_uri"])
    client = {"client_id": client_id, "client_secret": secret}
    updated = admin.patch(f"/identity-providers/{created.json['id']}", json=client)
    assert updated.status_code == 200, updated.json
    return updated.json


def _form(html: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of the (only) form on a provider page."""
    action = unescape(re.search(r'<form[^>]*action="([^"]+)"', html).group(1))
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    return action, hidden


def authenticate_at_provider(
    authorize_url: str, login: str, abort: bool = False, origin: str = APP_ORIGIN
) -> str:
    """Play the user at the provider: sign in as ``login``, consent (or, with ``abort``,
    cancel at the first page), and return the callback URL the provider redirects the
    browser to on ``origin`` (not followed)."""
    browser = requests.Session()
    response = browser.get(authorize_url, allow_redirects=False, timeout=30)
    for _step in range(20):
        if response.is_redirect:
            target = urljoin(response.url, response.headers["Location"])
            if target.startswith(origin + "/"):
                return target
            response = browser.get(target, allow_redirects=False, timeout=30)
            continue
        assert response.status_code == 200, response.text
        if abort:
            cancel = re.search(r'href="([^"]+/abort)"', response.text).group(1)
            response = browser.get(urljoin(response.url, cancel), allow_redirects=False, timeout=30)
            continue
        action, fields = _form(response.text)
        if fields.get("prompt") == "login":
            fields.update(login=login, password="any")
        response = browser.post(
            urljoin(response.url, action), data=fields, allow_redirects=False, timeout=30
        )
    raise AssertionError("the provider never redirected back to the app")


def start_sign_in(
    client, slug: str, provider_id: str, login: str, abort=False, tamper=None, **query
) -> str:
    """Begin at the hosted page and return the provider's callback URL, path and query only.

    ``tamper`` may rewrite the authorization URL before the browser follows it."""
    started = client.get(f"/t/{slug}/login/{provider_id}", query_string=query)
    assert started.status_code == 302, started.text
    authorize = (tamper or str)(started.headers["Location"])
    callback = urlsplit(authenticate_at_provider(authorize, login, abort=abort))
    return f"{callback.path}?{callback.query}"
