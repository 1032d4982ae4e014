"""The metrics every process records, and the one function per fact that records it.

Rationale: recording sits on hot paths (every request, every sign-in), so each
function is a dictionary lookup and an increment, never a query. The metric
objects belong to no registry: each app's registry (see :mod:`authsvc.metrics`)
adds them, or, under gunicorn's multiprocess mode, reads what every worker
wrote to ``PROMETHEUS_MULTIPROC_DIR``. Labels are bounded: route templates
(never raw paths), status classes, fixed outcome names, and the tenant slug,
which ``METRICS_TENANT_LABELS=false`` replaces by an empty value (Prometheus
drops empty labels).
"""

from __future__ import annotations

import functools

from flask import current_app, has_app_context
from prometheus_client import Counter, Gauge, Histogram

PREFIX = "authsvc_"
#: Methods named in the request metrics; anything else is "other" (methods are client input).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"

http_request_duration = Histogram(
    PREFIX + "http_request_duration_seconds",
    "Time to answer a request, by route template, method and status class.",
    ["route", "method", "status"],
    registry=None,
)
sign_ins = Counter(
    PREFIX + "sign_ins",
    "End-user sign-in attempts by tenant, method (password, mfa, federation) and outcome.",
    ["tenant", "method", "outcome"],
    registry=None,
)
registrations = Counter(
    PREFIX + "registrations",
    "Self-service registrations accepted, by tenant.",
    ["tenant"],
    registry=None,
)
tokens_issued = Counter(
    PREFIX + "tokens_issued",
    "Access tokens issued, by tenant and grant (password, mfa, refresh_token).",
    ["tenant", "grant"],
    registry=None,
)
oauth2_tokens_issued = Counter(
    PREFIX + "provider_tokens_issued",
    "Tokens the OpenID Provider issued, by tenant, application (client id) and grant type.",
    ["tenant", "client", "grant"],
    registry=None,
)
refresh_reuse = Counter(
    PREFIX + "refresh_token_reuse_detections",
    "Spent refresh tokens presented again (their sessions are revoked), by tenant.",
    ["tenant"],
    registry=None,
)
lockouts = Counter(
    PREFIX + "lockouts",
    "Accounts or addresses locked after repeated failed sign-ins, by tenant.",
    ["tenant"],
    registry=None,
)
rate_limited = Counter(
    PREFIX + "rate_limit_refusals",
    "Requests refused by a rate limit (429), by route template.",
    ["route"],
    registry=None,
)
webhook_deliveries = Counter(
    PREFIX + "webhook_delivery_attempts",
    "Webhook delivery attempts by outcome (succeeded, retrying, failed).",
    ["outcome"],
    registry=None,
)
webhook_latency = Histogram(
    PREFIX + "webhook_delivery_duration_seconds",
    "Time from sending a webhook to its receiver's answer (or the error).",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0),
    registry=None,
)
db_connections_in_use = Gauge(
    PREFIX + "db_pool_connections_in_use",
    "Database connections checked out of the pools, summed over live processes.",
    multiprocess_mode="livesum",
    registry=None,
)

INSTRUMENTS = (
    http_request_duration,
    sign_ins,
    registrations,
    tokens_issued,
    oauth2_tokens_issued,
    refresh_reuse,
    lockouts,
    rate_limited,
    webhook_deliveries,
    webhook_latency,
    db_connections_in_use,
)


def _tenant(slug: str | None) -> str:
    # Read per call, so each app's METRICS_TENANT_LABELS holds (tests run several apps).
    if has_app_context() and not current_app.config["METRICS_TENANT_LABELS"]:
        return ""
    return slug or ""


@functools.lru_cache(maxsize=4096)
def _request_series(route: str, method: str, status: int):
    # labels() takes a lock and builds its key on every call; the series of a
    # (route, method, status) never changes, and there are few of them (bounded labels).
    return http_request_duration.labels(route, method, f"{status // 100}xx")


def request_finished(rule: str | None, method: str, status: int, seconds: float) -> None:
    """One observation per request."""
    method = method if method in KNOWN_METHODS else "other"
    _request_series(rule or UNMATCHED_ROUTE, method, status).observe(seconds)


def rate_limit_refused(rule: str | None) -> None:
    rate_limited.labels(rule or UNMATCHED_ROUTE).inc()


def sign_in(tenant: str | None, method: str, outcome: str) -> None:
    sign_ins.labels(_tenant(tenant), method, outcome).inc()


def registered(tenant: str | None) -> None:
    registrations.labels(_tenant(tenant)).inc()


def token_issued(tenant: str | None, grant: str) -> None:
    tokens_issued.labels(_tenant(tenant), grant).inc()


def oauth2_token_issued(tenant: str | None, client_id: str, grant: str) -> None:
    """One token response of the provider. The client label is bounded by the tenant's
    registered applications (only they are issued tokens); a client id names its tenant's
    application, so without tenant labels it goes too."""
    tenant = _tenant(tenant)
    oauth2_tokens_issued.labels(tenant, client_id if tenant else "", grant).inc()


def reuse_detected(tenant: str | None) -> None:
    refresh_reuse.labels(_tenant(tenant)).inc()


def locked_out(tenant: str | None, count: int = 1) -> None:
    lockouts.labels(_tenant(tenant)).inc(count)


def webhook_attempt(outcome: str, latency_ms: int | None) -> None:
    webhook_deliveries.labels(outcome).inc()
    if latency_ms is not None:
        webhook_latency.observe(latency_ms / 1000)
