"""SSRF guard: private targets are refused when saved and again when sent."""

from __future__ import annotations

import pytest

from tests.webhooks.conftest import create_webhook, deliveries

REFUSED = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://10.1.2.3/hook",
    "http://192.168.0.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
]


@pytest.mark.parametrize("url", REFUSED)
def test_creating_a_webhook_for_a_private_target_is_a_clear_422(hooks, webhook_config, url):
    webhook_config(WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
    response = hooks.post("/webhooks", json={"url": url})
    assert response.status_code == 422
    assert response.json["errors"]["url"][0]
    assert hooks.get("/webhooks").json["items"] == []


def test_other_schemes_and_urls_with_credentials_are_refused(hooks):
    assert hooks.post("/webhooks", json={"url": "ftp://example.com/x"}).status_code == 422
    refused = hooks.post("/webhooks", json={"url": "https://user:pw@example.com/x"})
    assert refused.status_code == 422 and "Credentials" in refused.json["errors"]["url"][0]


def test_moving_an_existing_webhook_to_a_private_target_is_refused(hooks, webhook_config):
    hook = create_webhook(hooks, "https://hooks.invalid/ok", is_active=False)
    webhook_config(WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
    response = hooks.patch(f"/webhooks/{hook['id']}", json={"url": "http://127.0.0.1/x"})
    assert response.status_code == 422
    assert hooks.get(f"/webhooks/{hook['id']}").json["url"] == "https://hooks.invalid/ok"


def test_send_time_resolution_refuses_a_private_target_unless_allowed(
    hooks, receiver, drain, webhook_config
):
    """Saved while private targets were allowed, then the guard is on: nothing reaches it."""
    hook = create_webhook(hooks, receiver.url("inside"))
    webhook_config(WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
    hooks.post("/users", json={"email": "ssrf@example.com"})
    drain()
    assert receiver.at("inside") == []
    [row] = deliveries(hooks, hook["id"])
    assert row["state"] == "failed" and "127.0.0.1" in row["error"]
    assert row["status_code"] is None
