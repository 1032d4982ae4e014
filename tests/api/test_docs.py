"""The OpenAPI document and Swagger UI."""

from __future__ import annotations

import pytest

# The documents are built from the code, not the database: one backend is enough.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_openapi_document_describes_every_operation_with_errors_and_security(client):
    spec = client.get("/api/v1/swagger.json").json
    assert spec["securityDefinitions"]["apikey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert operation.get("security") in ([{"apikey": []}], [{"bearer": []}]), path
            assert "401" in operation["responses"], f"{method} {path}"
            assert operation.get("summary"), f"{method} {path} has no summary"


def test_models_carry_examples_and_never_a_password_hash(client):
    definitions = client.get("/api/v1/swagger.json").json["definitions"]
    # Output models never show a hash (only the import input accepts one).
    for name in ("User", "Session", "ApiKey", "Tenant"):
        assert "hash" not in str(definitions[name]["properties"]), name
    for name in ("User", "UserCreate", "ApiKey", "Tenant", "Problem"):
        properties = definitions[name]["properties"]
        assert all("example" in prop for prop in properties.values() if "$ref" not in prop), name
    extension = definitions["ValidationProblem"]["allOf"][1]["properties"]
    assert extension["errors"]["example"] == {"email": ["This field is required."]}
    assert definitions["UserCreate"]["additionalProperties"] is False


def test_swagger_ui_is_served(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and b"swagger" in response.data.lower()
