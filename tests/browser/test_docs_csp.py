"""Swagger UI at /api/v1/docs keeps working in a real browser under our CSP."""

from __future__ import annotations

import os
import threading

import pytest
from werkzeug.serving import make_server

from authsvc import create_app

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("AUTHSVC_TEST_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def live_url(tmp_path_factory):
    """The app served over real HTTP on loopback (the docs page needs no database rows)."""
    folder = tmp_path_factory.mktemp("docs-browser")
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": f"sqlite:///{folder / 'authsvc.db'}",
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        }
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_swagger_ui_renders_the_api_without_csp_violations(live_url):
    from playwright.sync_api import sync_playwright

    violations: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            page = browser.new_page()
            page.on(
                "console",
                lambda msg: (
                    violations.append(msg.text) if "Content Security Policy" in msg.text else None
                ),
            )
            response = page.goto(f"{live_url}/api/v1/docs")
            assert "nonce-" in response.headers["content-security-policy"]
            page.wait_for_selector(".swagger-ui .info .title", timeout=15000)
            assert "authsvc API" in page.inner_text(".swagger-ui .info .title")
            assert page.locator(".opblock-tag").count() >= 3, "operations are listed"
        finally:
            browser.close()
    assert violations == []
