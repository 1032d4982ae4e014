"""The OpenAPI 3.1 document, converted from the Swagger 2.0 document restx builds.

restx describes the API from the same models that validate and marshal it, but only
as Swagger 2.0. Rather than describe the API twice, this module translates that one
document: definitions become ``components.schemas`` (with JSON Schema 2020-12
``examples``), body parameters become ``requestBody``, error responses are served as
``application/problem+json``, and the ``Authorization`` header scheme becomes HTTP
bearer. Each operation gets a request and response example built from its schema's
property examples, so code generators and Postman have something to show.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from authsvc.errors import PROBLEM_TYPE_PREFIX, AuthsvcError

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
PROBLEM_JSON = "application/problem+json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Swagger 2.0 parameter keys that move into a 3.x parameter's ``schema``.
_SCHEMA_KEYS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
)


def convert(swagger: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.1 equivalent of a Swagger 2.0 document (the input is not changed)."""
    swagger = _rewrite_refs(copy.deepcopy(swagger))
    schemas = {name: _schema(body) for name, body in swagger.get("definitions", {}).items()}
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": swagger["info"],
        "servers": [{"url": swagger.get("basePath", "/")}],
        "tags": swagger.get("tags", []),
        "paths": {},
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                name: _security_scheme(scheme)
                for name, scheme in swagger.get("securityDefinitions", {}).items()
            },
        },
    }
    used_ids: set[str] = set()
    for path, item in swagger.get("paths", {}).items():
        document["paths"][path] = _path_item(path, item, schemas, used_ids)
    return document


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: (
                value.replace("#/definitions/", "#/components/schemas/")
                if key == "$ref" and isinstance(value, str)
                else _rewrite_refs(value)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(value) for value in node]
    return node


def _schema(node: Any) -> Any:
    """Swagger 2.0 schema keywords in their JSON Schema 2020-12 spelling."""
    if isinstance(node, list):
        return [_schema(value) for value in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "example":
            out["examples"] = [value]
        elif key in ("properties", "patternProperties"):
            out[key] = {name: _schema(prop) for name, prop in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = _schema(value)
        elif key == "x-nullable":
            continue
        else:
            out[key] = value
    if node.get("x-nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def _security_scheme(scheme: dict[str, Any]) -> dict[str, Any]:
    if scheme.get("type") == "apiKey" and scheme.get("name", "").lower() == "authorization":
        converted = {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
        if "description" in scheme:
            converted["description"] = scheme["description"]
        return converted
    return dict(scheme)


def _path_item(path: str, item: dict, schemas: dict, used_ids: set[str]) -> dict[str, Any]:
    shared = [_parameter(p) for p in item.get("parameters", []) if p.get("in") != "body"]
    converted: dict[str, Any] = {"parameters": shared} if shared else {}
    for method in METHODS:
        if method in item:
            operation = _operation(method, path, item[method], schemas)
            operation["operationId"] = _unique_id(operation, method, path, used_ids)
            converted[method] = operation
    return converted


def _parameter(param: dict[str, Any]) -> dict[str, Any]:
    converted = {key: param[key] for key in ("name", "in", "description") if key in param}
    if param.get("required") or param.get("in") == "path":
        converted["required"] = True
    if param.get("type") == "array" and param.get("collectionFormat") == "multi":
        converted["explode"] = True
    schema = {key: param[key] for key in _SCHEMA_KEYS if key in param}
    converted["schema"] = _schema(schema or {"type": "string"})
    return converted


def _operation(method: str, path: str, operation: dict, schemas: dict) -> dict[str, Any]:
    converted = {
        key: operation[key]
        for key in ("tags", "summary", "description", "operationId", "deprecated", "security")
        if key in operation
    }
    params = operation.get("parameters", [])
    plain = [_parameter(p) for p in params if p.get("in") not in ("body", "formData")]
    if plain:
        converted["parameters"] = plain
    body = next((p for p in params if p.get("in") == "body"), None)
    if body is not None:
        schema = _schema(body.get("schema", {}))
        media: dict[str, Any] = {"schema": schema}
        example = example_of(schema, schemas)
        if example is not None:
            media["example"] = example
        required = bool(body.get("required"))
        converted["requestBody"] = {"required": required, "content": {JSON: media}}
    converted["responses"] = {
        str(status): _response(int(status), response, schemas)
        for status, response in sorted(operation.get("responses", {}).items())
    }
    return converted


def _response(status: int, response: dict[str, Any], schemas: dict) -> dict[str, Any]:
    converted: dict[str, Any] = {"description": response.get("description") or "Success"}
    if "schema" in response:
        schema = _schema(response["schema"])
        media: dict[str, Any] = {"schema": schema}
        example = example_of(schema, schemas)
        if status >= 400 and isinstance(example, dict):
            example = {**example, **_problem_fields(status, converted["description"])}
        if example is not None:
            media["example"] = example
        converted["content"] = {PROBLEM_JSON if status >= 400 else JSON: media}
    if "headers" in response:
        converted["headers"] = {
            name: {"description": header.get("description", ""), "schema": _schema(header)}
            for name, header in response["headers"].items()
        }
    return converted


def _problem_fields(status: int, description: str) -> dict[str, Any]:
    """The type, title and status authsvc really answers with for ``status``."""
    errors = {cls.status: cls for cls in AuthsvcError.__subclasses__()}
    fields: dict[str, Any] = {"status": status, "detail": description}
    if status in errors:
        fields["type"] = PROBLEM_TYPE_PREFIX + errors[status].slug
        fields["title"] = errors[status].title
    return fields


def _unique_id(operation: dict, method: str, path: str, used: set[str]) -> str:
    """restx's operation id, or one made from the method and path; never a repeat."""
    base = operation.get("operationId") or method + re.sub(r"\W+", "_", path).rstrip("_")
    candidate, number = base, 2
    while candidate in used:
        candidate, number = f"{base}_{number}", number + 1
    used.add(candidate)
    return candidate


def example_of(schema: dict[str, Any], schemas: dict, depth: int = 0) -> Any:
    """An example value for ``schema``, assembled from its (and its parts') examples."""
    if depth > 8:
        return None
    if "$ref" in schema:
        return example_of(schemas.get(schema["$ref"].rsplit("/", 1)[-1], {}), schemas, depth + 1)
    if "examples" in schema:
        return schema["examples"][0]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = example_of(part, schemas, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged or None
    if "properties" in schema:
        values = {
            name: example_of(prop, schemas, depth + 1)
            for name, prop in schema["properties"].items()
        }
        return {name: value for name, value in values.items() if value is not None}
    if schema.get("type") == "array" and "items" in schema:
        item = example_of(schema["items"], schemas, depth + 1)
        return [] if item is None else [item]
    return None
