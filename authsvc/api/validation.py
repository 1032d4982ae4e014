"""Request-body parsing and validation against the documented restx models.

The restx model is the single source of truth: it renders in the OpenAPI
document and its JSON schema validates the body. Models are declared strict
(no unknown fields). One validator, jsonschema's ``Draft4Validator``, checks
every body and names each error by its field path: the errors become a 422
with an ``errors`` map by field, or a 400 for a body that is not JSON at all.
Before the schema, :func:`authsvc.storable.check_json` refuses bodies nested
too deep and text no database can store (NUL, unpaired surrogates).
"""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import request
from flask_restx import Namespace, fields
from jsonschema import Draft4Validator

from authsvc.errors import BadRequest, UnsupportedMediaType, ValidationFailed
from authsvc.storable import MAX_JSON_DEPTH, check_json


class Nullable:
    """Mixin for restx fields that also accept JSON null."""

    def schema(self):
        schema = super().schema()
        schema["x-nullable"] = True
        return schema


class NullableString(Nullable, fields.String):
    pass


class NullableDateTime(Nullable, fields.DateTime):
    pass


def _json_schema(schema: Any) -> Any:
    """Turn restx's Swagger 2 schema into JSON Schema (x-nullable -> null type)."""
    if isinstance(schema, dict):
        converted = {key: _json_schema(value) for key, value in schema.items()}
        if converted.pop("x-nullable", False) and "type" in converted:
            converted["type"] = [converted["type"], "null"]
        if converted.get("format") == "date-time":
            converted.pop("format")
        return converted
    if isinstance(schema, list):
        return [_json_schema(item) for item in schema]
    return schema


def _field_names(error) -> list[str]:
    """The dotted paths of the fields an error is about (the body itself is ``body``)."""
    path = [str(part) for part in error.absolute_path]
    if error.validator == "required":
        # One error per missing property; its message is the property's repr.
        missing = [
            name
            for name in error.validator_value
            if error.message == f"{name!r} is a required property"
        ]
        return [".".join([*path, name]) for name in missing[:1]] or [".".join(path) or "body"]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        extras = [name for name in error.instance if name not in known]
        return [".".join([*path, name]) for name in extras] or [".".join(path) or "body"]
    return [".".join(path) or "body"]


def _message(error) -> str:
    if error.validator == "required":
        return "This field is required."
    if error.validator == "additionalProperties":
        return "Unknown field."
    if error.validator == "maxLength":
        return f"Must be at most {error.validator_value} characters."
    if error.validator == "minLength":
        return f"Must be at least {error.validator_value} characters."
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"Must be of type {expected}."
    if error.validator == "pattern":
        return "Has an invalid format."
    if error.validator == "enum":
        return "Must be one of: " + ", ".join(map(str, error.validator_value)) + "."
    return error.message


def read_json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400/415 explaining why not."""
    if not request.content_length and not request.data:
        raise BadRequest("The request body is empty; send a JSON object.")
    if not request.is_json:
        raise UnsupportedMediaType("Send the body as application/json.")
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        # The parser gave up on nesting far deeper than check_json allows.
        raise BadRequest(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.") from None
    if body is None:
        raise BadRequest("The request body is not valid JSON.")
    check_json(body)
    if not isinstance(body, dict):
        raise ValidationFailed(
            "The request body must be a JSON object.", {"body": ["Not an object."]}
        )
    return body


def validator_for(model, api) -> Draft4Validator:
    """The JSON-schema validator of ``model``, resolving references to other models."""
    definitions = {name: other.__schema__ for name, other in api.models.items()}
    return Draft4Validator(_json_schema({**model.__schema__, "definitions": definitions}))


def validate(body: Any, validator: Draft4Validator) -> None:
    """Raise ValidationFailed naming every invalid field of ``body``; it is never changed."""
    errors: dict[str, list[str]] = {}
    for error in validator.iter_errors(body):
        for name in _field_names(error):
            errors.setdefault(name, []).append(_message(error))
    if errors:
        raise ValidationFailed(errors=errors)


def expect_json(ns: Namespace, model):
    """Document ``model`` as the body and pass the validated dict as ``body``."""

    def decorator(view):
        compiled: list[Draft4Validator] = []

        @wraps(view)
        def wrapper(*args, **kwargs):
            body = read_json_object()
            if not compiled:
                compiled.append(validator_for(model, ns.apis[0]))
            validate(body, compiled[0])
            return view(*args, body=body, **kwargs)

        return ns.expect(model)(wrapper)

    return decorator


class JsonObject(fields.Raw):
    """A free-form JSON object (documented and validated as ``type: object``)."""

    __schema_type__ = "object"


class AnyJson(fields.Raw):
    """Any JSON value; validated later, item by item (e.g. rows of an import)."""

    __schema_type__ = None


def register_models(ns: Namespace, *models) -> None:
    """Add module-level restx models to a namespace (and so to the OpenAPI document)."""
    for model in models:
        ns.add_model(model.name, model)
