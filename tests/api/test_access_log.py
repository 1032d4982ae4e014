"""The access log: one line per request, with its request id; validations quiet when they pass."""

from __future__ import annotations

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
