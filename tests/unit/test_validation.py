"""Request-body validation: the compiled fast check and Draft4Validator give one verdict."""

from __future__ import annotations

import copy
import itertools

import fastjsonschema

from authsvc.api import api
from authsvc.api.validation import validator_for

ODD_VALUES = [None, 42, "x", "", "x" * 2000, True, [1], {"a": 1}]


def _bodies(schema: dict) -> list:
    """Each model's documented example, then every field set to odd values, and more."""
    properties = schema.get("properties", {})
    example = {name: field["example"] for name, field in properties.items() if "example" in field}
    bodies = [{}, [], example, {**example, "unknown_field": 1}]
    for name, value in itertools.product(properties, ODD_VALUES):
        bodies.append({**example, name: value})
    return bodies


def test_the_fast_check_agrees_with_draft4_on_every_model_and_fills_nothing(app):
    verdicts = {True: 0, False: 0}
    for model in api.models.values():
        validator = validator_for(model, api)
        for body in _bodies(model.__schema__):
            given = copy.deepcopy(body)
            try:
                validator.fast(given)
                fast_valid = True
            except fastjsonschema.JsonSchemaException:
                fast_valid = False
            full_valid = not list(validator.full.iter_errors(body))
            assert fast_valid == full_valid, (model.name, body)
            assert given == body, (model.name, "the fast check changed the body")
            verdicts[full_valid] += 1
    assert verdicts[True] > 50 and verdicts[False] > 500, verdicts
