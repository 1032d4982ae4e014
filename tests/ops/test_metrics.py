"""/metrics: the series an operator graphs, with bounded labels and an optional token."""

from __future__ import annotations

import pytest

from authsvc.auth import notify
from authsvc.extensions import db
from authsvc.mail import request_mail
from authsvc.tenancy import tenant_context
from tests.conftest import unique
from tests.ops.conftest import scrape, series, value
from tests.webhooks.conftest import create_webhook

PASSWORD = "metrics test password 1"


def _user(client, email: str, **fields) -> dict:
    body = {"email": email, "password": PASSWORD, "is_verified": True, **fields}
    response = client.post("/users", json=body)
    assert response.status_code == 201, response.json
    return response.json


def _login(client, email: str, password: str = PASSWORD):
    return client.post("/auth/login", json={"email": email, "password": password})


def test_sign_ins_are_counted_by_tenant_method_and_outcome(client, api_client, tenant):
    """After a success, a wrong password and a refresh, /metrics shows each."""
    admin = api_client(tenant, ["admin"])
    _user(admin, "ok@example.com")
    assert _login(admin, "ok@example.com", "wrong password here").status_code == 401
    pair = _login(admin, "ok@example.com").json
    refreshed = admin.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 200
    samples = scrape(client)
    slug = tenant[1]
    sign_ins = "authsvc_sign_ins_total"
    assert value(samples, sign_ins, tenant=slug, method="password", outcome="success") == 1
    assert value(samples, sign_ins, tenant=slug, method="password", outcome="wrong_password") == 1
    issued = "authsvc_tokens_issued_total"
    assert value(samples, issued, tenant=slug, grant="password") == 1
    assert value(samples, issued, tenant=slug, grant="refresh_token") == 1


def test_registrations_lockouts_and_refresh_reuse_are_counted(client, api_client, tenant):
    admin = api_client(tenant, ["admin"])
    admin.patch("/tenant", json={"settings": {"auth": {"lockout_threshold": 3}}})
    registered = admin.post(
        "/auth/register", json={"email": "new@example.com", "password": PASSWORD}
    )
    assert registered.status_code == 201
    _user(admin, "target@example.com")
    pair = _login(admin, "target@example.com").json
    admin.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    reused = admin.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert reused.status_code == 401
    for _ in range(3):
        _login(admin, "target@example.com", "not the password at all")
    assert _login(admin, "target@example.com").status_code == 429
    samples = scrape(client)
    slug = tenant[1]
    assert value(samples, "authsvc_registrations_total", tenant=slug) == 1
    assert value(samples, "authsvc_refresh_token_reuse_detections_total", tenant=slug) == 1
    assert value(samples, "authsvc_lockouts_total", tenant=slug) >= 1
    locked = value(
        samples, "authsvc_sign_ins_total", tenant=slug, method="password", outcome="locked"
    )
    assert locked == 1


def test_requests_are_timed_by_route_template_never_by_raw_path(client, api_client, tenant):
    """An id in the path, a made-up path and a made-up method add no series of their own."""
    admin = api_client(tenant, ["admin"])
    user = _user(admin, "timed@example.com")
    assert admin.get(f"/users/{user['id']}").status_code == 200
    probe = unique("no-such-page")
    client.get(f"/{probe}")
    client.open("/metrics", method="BREW")
    samples = scrape(client)
    routes = series(samples, "authsvc_http_request_duration_seconds_count")
    assert {"route": "/api/v1/users/<string:user_id>", "method": "GET", "status": "2xx"} in routes
    assert {"route": "unmatched", "method": "GET", "status": "4xx"} in routes
    assert {"route": "unmatched", "method": "other", "status": "4xx"} in routes
    text = repr(samples)
    assert user["id"] not in text and probe not in text and "BREW" not in text


def test_backlogs_are_read_at_scrape_time(client, app, api_client, tenant):
    """An event not yet fanned out and a requested mail show in the gauges without a worker."""
    before = scrape(client)
    _user(api_client(tenant, ["users:write"]), "queued@example.com")
    with app.app_context(), tenant_context(tenant[0]):
        request_mail(notify.VERIFY, "queued@example.com")
        db.session.commit()
    after = scrape(client)
    assert value(after, "authsvc_events_undispatched") > value(
        before, "authsvc_events_undispatched"
    )
    assert value(after, "authsvc_mail_requests_pending") > value(
        before, "authsvc_mail_requests_pending"
    )
    assert value(after, "authsvc_db_pool_connections_in_use") >= 0
    assert ("authsvc_webhook_queue_oldest_pending_age_seconds", frozenset()) in after


def test_a_delivered_webhook_counts_an_attempt_and_its_latency(
    client, hooks, receiver, drain, make_user
):
    before = scrape(client)
    create_webhook(hooks, receiver.url("m"), event_types=["user.created"])
    hooks.post("/users", json={"email": "hooked@example.com"})
    drain()
    assert len(receiver.at("m")) == 1
    after = scrape(client)
    name = "authsvc_webhook_delivery_attempts_total"
    assert value(after, name, outcome="succeeded") == value(before, name, outcome="succeeded") + 1
    latency = "authsvc_webhook_delivery_duration_seconds_count"
    assert value(after, latency) == value(before, latency) + 1


@pytest.fixture
def hooks(api_client, tenant, drain):
    return api_client(tenant, ["webhooks", "users:write"])


def test_rate_limit_refusals_are_counted_by_route(app_with, make_key, tenant):
    limited = app_with(RATELIMIT_LOGIN="1/minute")
    client = limited.test_client()
    key = make_key(tenant, ["auth"])
    body = {"email": "nobody@example.com", "password": "whatever it is"}
    for _ in range(2):
        answer = client.post("/api/v1/auth/login", json=body, headers={"X-API-Key": key})
    assert answer.status_code == 429
    samples = scrape(client)
    assert value(samples, "authsvc_rate_limit_refusals_total", route="/api/v1/auth/login") >= 1


def test_tenant_labels_can_be_switched_off(app_with, make_key, tenant):
    quiet = app_with(METRICS_TENANT_LABELS=False)
    client = quiet.test_client()
    key = make_key(tenant, ["auth"])
    client.post(
        "/api/v1/auth/login",
        json={"email": "x@example.com", "password": "whatever it is"},
        headers={"X-API-Key": key},
    )
    samples = scrape(client)
    tenants = {labels.get("tenant") for labels in series(samples, "authsvc_sign_ins_total")}
    assert tenant[1] not in tenants


@pytest.fixture
def guarded(app_with):
    return app_with(METRICS_TOKEN="scrape-token-0123456789").test_client()


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer scrape-token-012345678",  # a prefix of the token
        "Bearer scrape-token-0123456789x",  # the token and more
        "Basic scrape-token-0123456789",  # the right secret in the wrong scheme
        "Bearer SCRAPE-TOKEN-0123456789",  # a look-alike in another case
    ],
)
def test_a_metrics_token_refuses_every_other_credential(guarded, header):
    headers = {"Authorization": header} if header else {}
    response = guarded.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert "authsvc_" not in response.get_data(as_text=True)


def test_the_metrics_token_opens_the_endpoint(guarded):
    samples = scrape(guarded, Authorization="Bearer scrape-token-0123456789")
    assert series(samples, "authsvc_http_request_duration_seconds_count")


def test_scrapes_are_never_rate_limited(app_with):
    """Prometheus scrapes from one address all day; the default page limit must not apply."""
    strict = app_with(RATELIMIT_DEFAULT="2/minute").test_client()
    answers = {strict.get("/metrics").status_code for _ in range(4)}
    assert answers == {200}
