"""Shared pieces of the browser tests: a fresh database, a live panel server, Chromium, a
CSP-checked page, screenshots on request."""

from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

# fresh_database: the browser modules' servers each start on a new, empty database.
from tests.conftest import fresh_database, make_app

CHROMIUM = os.environ.get("AUTHSVC_TEST_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EMAIL, PASSWORD = "root@example.com", "platform admin password"
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def shoot(page, name: str) -> None:
    """A full-page screenshot, ``<name>.png`` in test-artifacts/screenshots/, when
    AUTHSVC_TEST_SCREENSHOTS=1: to look at layouts, not to test them (the checks do)."""
    if os.environ.get("AUTHSVC_TEST_SCREENSHOTS") != "1":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, chromium_sandbox=False, args=ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh browser context (no cookies); fails the test on any CSP violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(5000)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert violations == []


def sign_in(page, live_url: str) -> None:
    page.goto(f"{live_url}/admin/login")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/admin/.*"))


def ensure_tenant(page, live_url: str, slug: str) -> None:
    page.goto(f"{live_url}/admin/tenants/new")
    page.get_by_label("Slug").fill(slug)
    page.get_by_label("Name").fill(slug.replace("-", " ").title())
    page.get_by_role("button", name="Save").click()
    page.wait_for_selector("text=is now the current tenant")


@pytest.fixture(scope="module")
def live_app(postgres_url, tmp_path_factory):
    """(app, URL): authsvc on a fresh database with a platform admin, served from a thread."""
    from flask_migrate import upgrade

    from authsvc.admins.service import create_admin

    app = make_app(fresh_database(postgres_url), tmp_path_factory.mktemp("panel-browser"))
    with app.app_context():
        upgrade()
        create_admin(EMAIL, PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def live_url(live_app) -> str:
    return live_app[1]


@pytest.fixture(scope="module")
def axe_js() -> str:
    """axe-core's source (from ``tests/oidc``'s npm lockfile), for ``check`` in a11y sweeps."""
    from tests.browser.test_layout_a11y import AXE

    if not AXE.is_file():
        pytest.fail(f"axe-core is missing: run `npm ci` in {AXE.parents[2]}")
    return AXE.read_text()
