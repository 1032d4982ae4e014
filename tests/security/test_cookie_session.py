"""The cookie session is skipped when no session is in play, and works when one is."""

from __future__ import annotations

from flask import request


def test_api_calls_set_no_cookie(tenant, api_client):
    response = api_client(tenant, ["users:read"]).get("/users")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers


def test_a_session_written_in_one_request_is_read_back_in_the_next(app):
    client = app.test_client()
    with client.session_transaction() as written:
        written["probe"] = "kept"
    with client.session_transaction() as read:
        assert read["probe"] == "kept"


def test_a_tampered_session_cookie_gives_an_empty_session(app):
    with app.test_request_context(headers={"Cookie": "session=eyJwcm9iZSI6Imtlc"}):
        assert dict(app.session_interface.open_session(app, request)) == {}
    with app.test_request_context():
        assert dict(app.session_interface.open_session(app, request)) == {}
