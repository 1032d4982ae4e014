"""Webhook test helpers: loopback targets allowed, tiny retry schedules, a worker to drain."""

from __future__ import annotations

import pytest

from authsvc.worker import Worker

# Fast defaults so retries and timeouts cost milliseconds, not hours.
FAST = {
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": True,
    "WEBHOOK_RETRY_SCHEDULE": [0, 0, 0],
    "WEBHOOKS_TIMEOUT_SECONDS": 2.0,
    "WEBHOOKS_CONNECT_TIMEOUT_SECONDS": 1.0,
}


@pytest.fixture
def webhook_config(app, monkeypatch):
    """Apply FAST to the session's app for one test; ``webhook_config(KEY=value)`` sets more.

    Everything is restored when the test ends.
    """

    def configure(**values) -> None:
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    configure(**FAST)
    return configure


@pytest.fixture
def drain(app, webhook_config):
    """Run the real worker in this process until nothing is due or in flight."""

    def run(timeout: float = 30.0) -> None:
        Worker(app).run_until_idle(timeout)

    # Start each test with an empty queue: earlier tests' leftovers are sent (or
    # fail fast against closed ports) before this test's events exist.
    run()
    return run


@pytest.fixture
def hooks(api_client, tenant, drain):
    """A client with the ``webhooks`` scope (plus users and events) for a fresh tenant."""
    return api_client(tenant, ["webhooks", "users:write", "users:read", "audit:read"])


def create_webhook(client, url, **fields):
    response = client.post("/webhooks", json={"url": url, **fields})
    assert response.status_code == 201, response.json
    return response.json


def deliveries(client, webhook_id, **query):
    response = client.get(f"/webhooks/{webhook_id}/deliveries", query_string=query)
    assert response.status_code == 200, response.json
    return response.json["items"]
