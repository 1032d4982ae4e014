"""Every error is RFC 9457 problem details; one contract test per error class."""

from __future__ import annotations

import pytest

from tests.conftest import make_app

PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response, status: int, slug: str):
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    body = response.json
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["type"] == f"urn:authsvc:problem:{slug}"
    return body


def test_malformed_json_is_400(api_client, tenant):
    response = api_client(tenant).post(
        "/users", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert (
        assert_problem(response, 400, "bad-request")["detail"]
        == "The request body is not valid JSON."
    )


def test_empty_body_is_400(api_client, tenant):
    response = api_client(tenant).post("/users", headers={"Content-Type": "application/json"})
    assert_problem(response, 400, "bad-request")


def test_missing_key_is_401(client):
    assert_problem(client.get("/api/v1/users"), 401, "authentication-failed")


def test_missing_scope_is_403(api_client, tenant):
    assert_problem(api_client(tenant, ["auth"]).get("/users"), 403, "permission-denied")


def test_unknown_route_and_object_are_404(client, api_client, tenant):
    assert_problem(client.get("/api/v1/nothing-here"), 404, "not-found")
    assert_problem(api_client(tenant).get("/users/not-a-uuid"), 404, "not-found")


def test_wrong_method_is_405(api_client, tenant):
    response = api_client(tenant).client.put("/api/v1/users", json={})
    assert_problem(response, 405, "method-not-allowed")
    assert "GET" in response.headers["Allow"]


def test_duplicate_is_409(api_client, tenant):
    client = api_client(tenant)
    client.post("/users", json={"email": "same@example.com"})
    assert_problem(client.post("/users", json={"email": "same@example.com"}), 409, "conflict")


def test_oversized_body_is_413_and_writes_nothing(api_client, tenant):
    client = api_client(tenant)
    huge = {"email": "big@example.com", "metadata": {"blob": "x" * (2 * 1024 * 1024)}}
    assert_problem(client.post("/users", json=huge), 413, "payload-too-large")
    assert client.get("/users", query_string={"email": "big@example.com"}).json["items"] == []


def test_non_json_content_type_is_415(api_client, tenant):
    response = api_client(tenant).post("/users", data="email=a@b.c")
    assert_problem(response, 415, "unsupported-media-type")


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "email", "This field is required."),
        ({"email": 42}, "email", "Must be of type string."),
        ({"email": "a@b.co", "unknown": 1}, "unknown", "Unknown field."),
        (
            {"email": "a@b.co", "display_name": "x" * 201},
            "display_name",
            "Must be at most 200 characters.",
        ),
        # The tenant's password policy (checked by the user service), not the schema.
        ({"email": "a@b.co", "password": "short"}, "password", "Use at least 8 characters."),
        ({"email": "a@b.co", "is_active": "yes"}, "is_active", "Must be of type boolean."),
        ({"email": "a@b.co", "metadata": [1]}, "metadata", "Must be of type object."),
    ],
)
def test_invalid_fields_are_422_with_an_errors_map(api_client, tenant, body, field, message):
    response = api_client(tenant).post("/users", json=body)
    problem = assert_problem(response, 422, "validation-failed")
    assert problem["errors"][field] == [message]


def test_json_array_body_is_422(api_client, tenant):
    response = api_client(tenant).post("/users", json=[{"email": "a@b.co"}])
    assert_problem(response, 422, "validation-failed")


def test_unexpected_exception_is_a_500_problem_without_internals(tmp_path, caplog):
    app = make_app(f"sqlite:///{tmp_path / 'x.db'}", tmp_path)

    @app.get("/api/v1/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/api/v1/boom")
    body = assert_problem(response, 500, "internal-error")
    assert "secret internals" not in response.get_data(as_text=True)
    assert body["detail"] == "An unexpected error occurred; it has been logged."
    assert "secret internals" in caplog.text
