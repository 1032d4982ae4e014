"""The webhooks pages in a browser at 1440 and 390 px, light and dark: an administrator
picks events from the checklist, reads a failed attempt as signed and answered, retries
it now, and replays failures since a moment. A real worker delivers to a real receiver."""

from __future__ import annotations

import re
import threading

import pytest
from werkzeug.serving import make_server

from authsvc.worker import Worker
from tests.browser.conftest import EMAIL, PASSWORD, fresh_database, sign_in
from tests.browser.test_layout_a11y import FLOW_SIZE, WIDTHS, check_each_width, ensure_tenant
from tests.conftest import make_app
from tests.fixtures.receiver import Receiver

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(postgres_url, tmp_path_factory):
    """A panel that may deliver to loopback, a receiver, and a way to run the worker."""
    from flask_migrate import upgrade

    from authsvc.admins.service import create_admin

    app = make_app(
        fresh_database(postgres_url),
        tmp_path_factory.mktemp("webhooks-browser"),
        WEBHOOK_ALLOW_PRIVATE_TARGETS=True,
        WEBHOOK_RETRY_SCHEDULE=[],
        WEBHOOKS_TIMEOUT_SECONDS=2.0,
    )
    with app.app_context():
        upgrade()
        create_admin(EMAIL, PASSWORD)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver = Receiver().start()
    yield f"http://127.0.0.1:{server.server_port}", receiver, lambda: Worker(app).run_until_idle(30)
    receiver.stop()
    server.shutdown()
    thread.join(timeout=5)


def test_an_admin_reads_retries_and_replays_failed_deliveries(browser, site, axe_js):
    size = FLOW_SIZE  # driven once at 390 px; every page checked at both widths
    live_url, receiver, drain = site
    width, height = WIDTHS[size]
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(8000)
    sign_in(page, live_url)
    ensure_tenant(page, live_url, f"hooks-{size}")

    page.goto(f"{live_url}/admin/webhooks/new")
    page.get_by_label("Endpoint URL").fill(receiver.url(f"in-{size}"))
    page.get_by_label("Every event (*)").uncheck()
    page.get_by_label("Every webhook event (webhook.*)").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Done").click()
    assert page.get_by_label("Every webhook event (webhook.*)").is_checked()

    receiver.script(f"in-{size}", status=500, body=b"database unavailable")
    page.get_by_role("button", name="Send test event").click()
    drain()
    page.reload()
    assert "0 succeeded, 1 failed, 0 pending" in page.get_by_test_id("success-rate").inner_text()
    check_each_width(page, axe_js, "panel-webhook-deliveries")

    page.locator("main table a").first.click()
    page.wait_for_url(re.compile(r".*/deliveries/[0-9a-f-]+$"))
    attempt = page.get_by_test_id("attempt")
    assert "Attempt 1" in attempt.inner_text() and "HTTP 500" in attempt.inner_text()
    attempt.get_by_text("Request, as signed").click()
    attempt.get_by_text("Response", exact=True).click()
    assert "webhook-signature" in attempt.inner_text()
    assert page.get_by_test_id("response-body").inner_text() == "database unavailable"
    check_each_width(page, axe_js, "panel-webhook-delivery-failed")
    page.get_by_role("button", name="Retry now").click()
    assert "queued to be sent again" in page.inner_text("main")
    drain()
    page.reload()
    assert page.get_by_test_id("attempt").count() == 2
    assert page.get_by_role("button", name="Retry now").count() == 0
    page.emulate_media(color_scheme="dark")
    check_each_width(page, axe_js, "dark-panel-webhook-delivery")
    page.emulate_media(color_scheme="light")

    receiver.script(f"in-{size}", status=503, times=2)
    page.go_back()
    for _ in range(2):
        page.goto(page.url.rsplit("/deliveries/", 1)[0])
        page.get_by_role("button", name="Send test event").click()
    drain()
    page.get_by_role("link", name="Replay failed since…").click()
    assert "2 failed deliveries since" in page.get_by_test_id("replay-count").inner_text()
    check_each_width(page, axe_js, "panel-webhook-replay")
    page.get_by_role("button", name="Replay failed deliveries").click()
    assert "Tick to confirm." in page.inner_text("main")
    page.get_by_label("Send these deliveries again now").check()
    page.get_by_role("button", name="Replay failed deliveries").click()
    assert "2 failed deliveries are queued" in page.inner_text("main")
    drain()
    page.reload()
    assert "3 succeeded, 0 failed" in page.get_by_test_id("success-rate").inner_text()
    context.close()
