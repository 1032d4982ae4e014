"""Request-body validation: one validator, errors by field path."""

from __future__ import annotations

import copy
import itertools

from authsvc.api import api
from authsvc.api.validation import validate, validator_for
from authsvc.errors import ValidationFailed

ODD_VALUES = [None, 42, "x", "", "x" * 2000, True, [1], {"a": 1}]


def _bodies(schema: dict) -> list:
    """Each model's documented example, then every field set to odd values, and more."""
    properties = schema.get("properties", {})
    example = {name: field["example"] for name, field in properties.items() if "example" in field}
    bodies = [{}, [], example, {**example, "unknown_field": 1}]
    for name, value in itertools.product(properties, ODD_VALUES):
        bodies.append({**example, name: value})
    return bodies


def _verdict(body, validator) -> dict[str, list[str]]:
    """The field errors of ``body`` (empty when valid)."""
    try:
        validate(body, validator)
    except ValidationFailed as error:
        return error.extra["errors"]
    return {}


def test_does_every_model_name_the_fields_it_refuses_and_leave_bodies_unchanged(app):
    verdicts = {True: 0, False: 0}
    for model in api.models.values():
        validator = validator_for(model, api)
        properties = set(model.__schema__.get("properties", {}))
        for body in _bodies(model.__schema__):
            given = copy.deepcopy(body)
            errors = _verdict(given, validator)
            assert given == body, (model.name, "validation changed the body")
            for field in errors:
                top = field.split(".")[0]
                assert top in properties | {"body", "unknown_field"}, (model.name, field)
            verdicts[not errors] += 1
    assert verdicts[True] > 50 and verdicts[False] > 500, verdicts


def test_are_missing_and_unknown_fields_named_even_with_quotes_in_their_names(app):
    validator = validator_for(api.models["UserCreate"], api)
    errors = _verdict({"it's": 1, 'say "hi"': 2}, validator)
    assert errors["email"] == ["This field is required."]
    assert errors["it's"] == ["Unknown field."] and errors['say "hi"'] == ["Unknown field."]


def test_are_nested_field_paths_dotted(app):
    validator = validator_for(api.models["TenantUpdate"], api)
    errors = _verdict({"settings": {"cors_origins": [1], "nope": True}}, validator)
    assert errors == {
        "settings.cors_origins.0": ["Must be of type string."],
        "settings.nope": ["Unknown field."],
    }
