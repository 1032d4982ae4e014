"""Request-body validation: one validator, errors by field path, no unstorable text."""

from __future__ import annotations

import copy
import itertools

import pytest

from authsvc.api import api
from authsvc.api.validation import validate, validator_for
from authsvc.errors import BadRequest, ValidationFailed
from authsvc.storable import MAX_JSON_DEPTH, check_json, text_problem

ODD_VALUES = [None, 42, "x", "", "x" * 2000, True, [1], {"a": 1}]
HOSTILE_STRINGS = ["x\ud800@a.test", "a\x00b@a.test", "\udfff", "\x00"]


def _bodies(schema: dict) -> list:
    """Each model's documented example, then every field set to odd values, and more."""
    properties = schema.get("properties", {})
    example = {name: field["example"] for name, field in properties.items() if "example" in field}
    bodies = [{}, [], example, {**example, "unknown_field": 1}]
    for name, value in itertools.product(properties, [*ODD_VALUES, *HOSTILE_STRINGS]):
        bodies.append({**example, name: value})
    return bodies


def _verdict(body, validator) -> dict[str, list[str]]:
    """The field errors of ``body`` (empty when valid): the storable check, then the schema."""
    try:
        check_json(body)
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


@pytest.mark.parametrize("hostile", HOSTILE_STRINGS)
def test_is_every_string_field_with_nul_or_a_lone_surrogate_refused_by_name(app, hostile):
    for model in api.models.values():
        validator = validator_for(model, api)
        for name, field in model.__schema__.get("properties", {}).items():
            if field.get("type") != "string":
                continue
            errors = _verdict({name: hostile}, validator)
            assert name in errors, (model.name, name, errors)


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


def test_is_text_with_nul_or_a_lone_surrogate_unstorable_and_other_text_fine():
    assert text_problem("ordinary text, émoji 🎉 and 中文") is None
    assert text_problem("a\x00b") == "Must not contain NUL characters."
    assert "surrogate" in text_problem("x\ud800@a.test")
    assert "surrogate" in text_problem("\udc00")


def test_is_json_nested_deeper_than_the_cap_a_bad_request():
    nested: list = []
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = [nested]
    check_json(nested)  # exactly at the cap: accepted
    with pytest.raises(BadRequest):
        check_json([nested])


def test_are_unstorable_keys_and_nested_values_named_by_their_path():
    with pytest.raises(ValidationFailed) as refused:
        check_json({"metadata": {"a\x00": 1, "list": ["ok", "b\ud800"]}})
    assert refused.value.extra["errors"] == {
        "metadata": ["A field name: Must not contain NUL characters."],
        "metadata.list.1": ["Must be valid Unicode text (it has an unpaired surrogate)."],
    }
