"""Helpers for the operations tests: read /metrics as Prometheus would."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

# The panel's admin accounts, for the two-instance test.
from tests.admin.conftest import make_admin  # noqa: F401

# The webhook tests' worker fixtures, for the delivery metrics.
from tests.conftest import make_app
from tests.webhooks.conftest import drain, webhook_config  # noqa: F401


@pytest.fixture
def app_with(database_url, tmp_path):
    """``app_with(**settings)``: another app on the session's database with these settings."""
    yield lambda **settings: make_app(database_url, tmp_path, **settings)
    # The limiter is process-wide: hand it back the default limits.
    make_app(database_url, tmp_path)


def scrape(client, **headers) -> dict:
    """``{(sample name, frozenset(labels)): value}`` parsed from ``GET /metrics``."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.data
    assert response.content_type.startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.data.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def series(samples: dict, name: str) -> list[dict]:
    """The label sets of every sample called ``name``."""
    return [dict(labels) for sample, labels in samples if sample == name]
