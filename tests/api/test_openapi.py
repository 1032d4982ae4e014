"""The OpenAPI 3.1 document and the Postman collection generated from it."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from authsvc.api.openapi import METHODS, convert

PROBLEM = "application/problem+json"

# The documents are built from the code, not the database: one backend is enough.
one_backend = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.json


def operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


@one_backend
def test_openapi_spec_validator_accepts_the_3_1_document(document):
    assert document["openapi"] == "3.1.0"
    validate(document)


@one_backend
def test_every_swagger_operation_is_in_the_3_1_document(client, document):
    """Routes added to any namespace appear without touching the converter."""
    swagger = client.get("/api/v1/swagger.json").json
    expected = {(p, m) for p, item in swagger["paths"].items() for m in item if m in METHODS}
    assert {(p, m) for p, m, _ in operations(document)} == expected
    assert len(expected) > 30


@one_backend
def test_every_operation_has_a_unique_id_a_summary_and_a_security_scheme(document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids)) and all(ids)
    for path, method, op in operations(document):
        assert op.get("summary"), f"{method} {path}"
        assert op["security"] in ([{"apikey": []}], [{"bearer": []}]), f"{method} {path}"
    schemes = document["components"]["securitySchemes"]
    assert schemes["apikey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["bearer"]["type"] == "http" and schemes["bearer"]["scheme"] == "bearer"


@one_backend
def test_errors_are_problem_documents_with_examples_of_their_own_status(document):
    for path, method, op in operations(document):
        errors = {int(s): r for s, r in op["responses"].items() if int(s) >= 400}
        assert 401 in errors, f"{method} {path}"
        for status, response in errors.items():
            media = response["content"][PROBLEM]
            name = "ValidationProblem" if status == 422 else "Problem"
            assert media["schema"] == {"$ref": f"#/components/schemas/{name}"}
            assert media["example"]["status"] == status
            assert media["example"]["type"].startswith("urn:authsvc:problem:")
        assert all(
            PROBLEM not in r.get("content", {}) for s, r in op["responses"].items() if int(s) < 400
        )


@one_backend
def test_bodies_and_json_answers_carry_examples(document):
    for path, method, op in operations(document):
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            assert isinstance(body["example"], dict) and body["example"], f"{method} {path}"
        for status, response in op["responses"].items():
            media = response.get("content", {}).get("application/json")
            if media is not None:
                assert "example" in media, f"{method} {path} {status}"
    # Schema examples use the JSON Schema 2020-12 keyword.
    email = document["components"]["schemas"]["User"]["properties"]["email"]
    assert email["examples"] == ["ada@example.com"] and "example" not in email


def test_converter_keeps_its_input_and_never_repeats_an_operation_id():
    swagger = {
        "swagger": "2.0",
        "info": {"title": "t", "version": "1"},
        "basePath": "/api",
        "paths": {
            "/a/{id}": {
                "parameters": [{"name": "id", "in": "path", "type": "string"}],
                "get": {"operationId": "same", "responses": {"200": {"description": "ok"}}},
                "post": {"operationId": "same", "responses": {"200": {"description": "ok"}}},
            },
            "/b": {"get": {"responses": {"204": {"description": "none"}}}},
        },
    }
    before = json.dumps(swagger, sort_keys=True)
    converted = convert(swagger)
    assert json.dumps(swagger, sort_keys=True) == before
    ids = [op["operationId"] for _, _, op in operations(converted)]
    assert ids == ["same", "same_2", "get_b"]
    assert converted["paths"]["/a/{id}"]["parameters"][0]["required"] is True
    validate(converted)


@one_backend
def test_cli_writes_the_served_document(app, document, tmp_path):
    target = tmp_path / "openapi.json"
    result = app.test_cli_runner().invoke(args=["openapi", "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert json.loads(target.read_text()) == document


@one_backend
def test_cli_postman_collection_has_one_request_per_operation(app, document):
    result = app.test_cli_runner().invoke(
        args=["openapi", "--postman", "--base-url", "https://id.example.com"]
    )
    assert result.exit_code == 0, result.output
    collection = json.loads(result.output)
    assert collection["info"]["schema"].endswith("/v2.1.0/collection.json")
    variables = {v["key"]: v["value"] for v in collection["variable"]}
    assert variables["baseUrl"] == "https://id.example.com/api/v1"
    requests = [item["request"] for folder in collection["item"] for item in folder["item"]]
    assert len(requests) == len(list(operations(document)))
    by_route = {(r["method"], r["url"]["raw"]): r for r in requests}
    me = by_route[("GET", "{{baseUrl}}/me")]
    assert me["auth"]["bearer"][0]["value"] == "{{accessToken}}"
    delete = by_route[("DELETE", "{{baseUrl}}/users/:user_id")]
    assert delete["url"]["variable"][0]["key"] == "user_id" and "auth" not in delete
    login = by_route[("POST", "{{baseUrl}}/auth/login")]
    assert json.loads(login["body"]["raw"])["password"]
    assert collection["auth"]["apikey"][1]["value"] == "{{apiKey}}"
