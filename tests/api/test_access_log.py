"""The access log: one line per request, with its request id; validations quiet when they pass."""

from __future__ import annotations

import json
import logging


def _access_lines(caplog, level=logging.INFO):
    return [r for r in caplog.records if r.name == "authsvc.access" and r.levelno >= level]


def test_each_api_call_is_logged_once_with_its_request_id(caplog, api_client, tenant):
    caplog.set_level(logging.INFO, logger="authsvc.access")
    response = api_client(tenant, ["users:read"]).get("/users")
    lines = _access_lines(caplog)
    assert len(lines) == 1
    assert "GET /api/v1/users 200" in lines[0].getMessage()
    assert response.headers["X-Request-ID"] in lines[0].getMessage()


def test_passing_token_validations_log_at_debug_and_failures_at_info(
    caplog, app, tenant, api_client
):
    """A reverse proxy calls /auth/validate for every request it forwards, and logs those."""
    client = api_client(tenant, ["admin"])
    client.post(
        "/users",
        json={"email": "quiet@example.com", "password": "pw-for-quiet-logs", "is_verified": True},
    )
    token = client.post(
        "/auth/login", json={"email": "quiet@example.com", "password": "pw-for-quiet-logs"}
    ).json["access_token"]
    caplog.set_level(logging.DEBUG, logger="authsvc.access")
    raw = app.test_client()
    assert (
        raw.get("/api/v1/auth/validate", headers={"Authorization": f"Bearer {token}"}).status_code
        == 200
    )
    assert (
        raw.get("/api/v1/auth/validate", headers={"Authorization": "Bearer nope"}).status_code
        == 401
    )
    passed, failed = [
        r
        for r in caplog.records
        if r.name == "authsvc.access" and "/auth/validate" in r.getMessage()
    ]
    assert passed.levelno == logging.DEBUG and " 200 " in passed.getMessage()
    assert failed.levelno == logging.INFO and " 401 " in failed.getMessage()


def _json_lines(caplog) -> list[dict]:
    """The records authsvc logged, formatted as AUTHSVC_LOG_FORMAT=json writes them."""
    from authsvc.logs import formatter

    json_format = formatter("json")
    return [json.loads(json_format.format(r)) for r in caplog.records if r.name == "authsvc.access"]


def test_json_access_lines_carry_request_tenant_route_status_and_duration(
    caplog, app, api_client, tenant
):
    from authsvc.logs import RequestContext

    handler = caplog.handler
    context = RequestContext()
    handler.addFilter(context)
    try:
        caplog.set_level(logging.INFO, logger="authsvc.access")
        trace = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        response = api_client(tenant, ["users:read"]).get(
            "/users?token=leaked-secret-value", headers={"traceparent": trace}
        )
    finally:
        handler.removeFilter(context)
    [line] = _json_lines(caplog)
    assert line["request_id"] == response.headers["X-Request-ID"]
    assert line["tenant"] == str(tenant[0])
    assert line["route"] == "/api/v1/users"
    assert line["status"] == response.status_code and line["method"] == "GET"
    assert line["duration_ms"] >= 0 and line["level"] == "INFO"
    assert line["logger"] == "authsvc.access" and line["timestamp"].endswith("+00:00")
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"
    assert "leaked-secret-value" not in json.dumps(line)
    assert line["path"] == "/api/v1/users?token=[redacted]"


def test_a_forged_traceparent_is_not_copied_into_the_log(caplog, app, api_client, tenant):
    from authsvc.logs import RequestContext

    context = RequestContext()
    caplog.handler.addFilter(context)
    try:
        caplog.set_level(logging.INFO, logger="authsvc.access")
        forged = '00-"},"level":"CRITICAL-b7ad6b7169203331-01'
        api_client(tenant, ["users:read"]).get("/users", headers={"traceparent": forged})
    finally:
        caplog.handler.removeFilter(context)
    [line] = _json_lines(caplog)
    assert "trace_id" not in line and line["level"] == "INFO"
