"""The Grafana dashboard and alert rules beside the chart use only series /metrics exports."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml
from prometheus_client import Counter, Histogram

from authsvc.metrics import instruments
from tests.ops.conftest import scrape

DASHBOARDS = Path(__file__).resolve().parents[2] / "helm" / "authsvc" / "dashboards"
NAME = re.compile(r"\bauthsvc_[a-z_]+\b")


def _sample_names(metric) -> set[str]:
    """The sample names one instrument exposes, with the suffixes of its type."""
    [family] = metric.describe()
    if isinstance(metric, Counter):
        return {family.name + "_total"}
    if isinstance(metric, Histogram):
        return {family.name + suffix for suffix in ("_bucket", "_count", "_sum")}
    return {family.name}


def exported_names(client) -> set[str]:
    names = {sample for sample, _labels in scrape(client)}  # the backlog gauges, always present
    for metric in instruments.INSTRUMENTS:
        names |= _sample_names(metric)
    return names


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((DASHBOARDS / "authsvc.json").read_text())
    assert dashboard["panels"], "the dashboard has panels"
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((DASHBOARDS / "alerts.yaml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_every_dashboard_and_alert_expression_names_exported_series(client):
    exported = exported_names(client)
    expressions = dashboard_expressions() + alert_expressions()
    for expr in expressions:
        used = set(NAME.findall(expr))
        unknown = used - exported
        assert not unknown, f"{expr!r} names {sorted(unknown)}, which /metrics does not export"
    used_anywhere = {name for expr in expressions for name in NAME.findall(expr)}
    # Every instrument is on the dashboard: a new metric gets a panel.
    for metric in instruments.INSTRUMENTS:
        assert _sample_names(metric) & used_anywhere, f"{metric} has no panel"


def test_alert_rules_have_a_severity_and_a_summary():
    rules = yaml.safe_load((DASHBOARDS / "alerts.yaml").read_text())["groups"][0]["rules"]
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]
    assert {"AuthsvcHighSignInFailureRate", "AuthsvcWebhookBacklog", "AuthsvcNotReady"} <= set(
        names
    )
