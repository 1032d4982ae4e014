"""Every error is RFC 9457 problem details; one contract test per error class."""

from __future__ import annotations

import re

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


# --- Hostile input on every route: no 500, a problem document, nothing written ----------

HOSTILE_TEXT = ["x\ud800@a.test", "a\x00b@a.test"]
PASSWORD = "hostile input password"


def _operations(app, where: str) -> list[tuple[str, str, dict]]:
    """(method, path, operation) of every documented API route taking a body or query."""
    from authsvc.api import api

    with app.test_request_context():
        document = api.__schema__
    found = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            if any(p["in"] == where for p in operation.get("parameters", [])):
                found.append((method.upper(), path, operation))
    assert found, f"no route takes a {where} parameter"
    return found


@pytest.fixture
def hostile_caller(api_client, tenant):
    """Calls any route as the tenant's admin key, with an end-user token for /me routes."""
    admin = api_client(tenant)
    email = "hostile@example.com"
    assert admin.post("/users", json={"email": email, "password": PASSWORD}).status_code == 201
    login = admin.post("/auth/login", json={"email": email, "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {login.json['access_token']}"}

    def call(method: str, path: str, **kwargs):
        path = re.sub(r"\{\w+\}", "0190d1c4-5a2b-7c3d-8e4f-0a1b2c3d4e5f", path)
        headers = {**kwargs.pop("headers", {})}
        if path.startswith(("/me", "/auth/logout", "/invitations/accept")):
            headers.update(bearer)
        return admin._call(method, path, headers=headers, **kwargs)

    call.events = lambda: len(admin.get("/events", query_string={"limit": 200}).json["items"])
    return call


def _example_body(operation: dict, document_models: dict) -> tuple[dict, list[str]]:
    body = next(p for p in operation["parameters"] if p["in"] == "body")
    name = body["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = document_models[name].get("properties", {})
    example = {n: f["example"] for n, f in properties.items() if "example" in f}
    strings = [n for n, f in properties.items() if f.get("type") == "string"]
    return example, strings


def test_does_every_body_route_refuse_deep_nesting_with_a_400_problem(app, hostile_caller):
    before = hostile_caller.events()
    for method, path, _operation in _operations(app, "body"):
        for deep in ("[" * 100_000, "[" * 40 + "]" * 40, '{"a":' * 40 + "1" + "}" * 40):
            response = hostile_caller(
                method, path, data=deep, headers={"Content-Type": "application/json"}
            )
            assert response.status_code == 400, (method, path, response.json)
            assert_problem(response, 400, "bad-request")
    assert hostile_caller.events() == before


@pytest.mark.parametrize("hostile", HOSTILE_TEXT, ids=["lone-surrogate", "nul"])
def test_does_every_body_route_name_a_string_field_holding_unstorable_text(
    app, hostile_caller, hostile
):
    from authsvc.api import api

    models = {name: model.__schema__ for name, model in api.models.items()}
    before = hostile_caller.events()
    checked = 0
    for method, path, operation in _operations(app, "body"):
        example, strings = _example_body(operation, models)
        for field in strings:
            response = hostile_caller(method, path, json={**example, field: hostile})
            problem = assert_problem(response, 422, "validation-failed")
            assert field in problem["errors"], (method, path, field, problem)
            checked += 1
    assert checked > 20
    assert hostile_caller.events() == before


def test_does_every_query_route_name_a_parameter_holding_a_nul(app, hostile_caller):
    for method, path, operation in _operations(app, "query"):
        for parameter in (p["name"] for p in operation["parameters"] if p["in"] == "query"):
            response = hostile_caller(method, path, query_string={parameter: "a\x00b"})
            problem = assert_problem(response, 422, "validation-failed")
            assert parameter in problem["errors"], (method, path, parameter)


def test_is_a_nul_in_a_path_segment_or_a_read_header_a_400_problem(api_client, tenant):
    client = api_client(tenant)
    assert_problem(client.get("/users/a%00b"), 400, "bad-request")
    for header in ("User-Agent", "X-End-User-IP"):
        response = client.post(
            "/auth/login", json={"email": "a@b.co", "password": "x" * 8}, headers={header: "a\x00"}
        )
        assert_problem(response, 400, "bad-request")


def test_is_unstorable_text_deep_inside_metadata_named_by_its_path(api_client, tenant):
    client = api_client(tenant)
    body = {"email": "meta@example.com", "metadata": {"plan": {"tags": ["ok", "a\x00"]}}}
    problem = assert_problem(client.post("/users", json=body), 422, "validation-failed")
    assert problem["errors"] == {"metadata.plan.tags.1": ["Must not contain NUL characters."]}
    assert client.get("/users", query_string={"email": "meta@example.com"}).json["items"] == []
