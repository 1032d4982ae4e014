"""Input no store can hold: NUL characters, unpaired surrogates, runaway JSON nesting.

Rationale: PostgreSQL refuses NUL in text and JSONB, neither database driver
can encode an unpaired UTF-16 surrogate (``"\\ud800"`` is valid JSON but not
Unicode text), and JSON nested deep enough exhausts the parser's recursion.
Each of these used to surface as a 500 somewhere inside a service. So every
string that comes in is checked once, where the request is parsed, and
refused there as bad input naming where it was:

* JSON bodies: :func:`check_json`, called by the API's body parser
  (:func:`authsvc.api.validation.read_json_object`);
* the URL path, query string and the request headers that we read or store:
  :func:`check_request`, the app's first URL-value preprocessor, which Flask
  runs before any blueprint's (the hosted pages bind their tenant from the
  path and the Host header there) and before every ``before_request`` hook;
* form fields of the panel and the hosted pages: :class:`StorableForm`, whose
  fields all get the check as a validator, so the error shows on the form.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_wtf import FlaskForm
from wtforms import Field, ValidationError

from authsvc.errors import BadRequest, ValidationFailed

MAX_JSON_DEPTH = 32
# Headers some code reads, compares or stores (sessions keep the user agent).
READ_HEADERS = (
    "Host",
    "User-Agent",
    "X-End-User-IP",
    "X-API-Key",
    "Authorization",
    "X-Request-ID",
    "Origin",
)
NUL_MESSAGE = "Must not contain NUL characters."
SURROGATE_MESSAGE = "Must be valid Unicode text (it has an unpaired surrogate)."


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return NUL_MESSAGE
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return SURROGATE_MESSAGE
    return None


def _walk(value: Any, path: str, depth: int, errors: dict[str, list[str]]) -> None:
    if depth > MAX_JSON_DEPTH:
        raise BadRequest(f"The request body nests deeper than {MAX_JSON_DEPTH} levels.")
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            errors.setdefault(path or "body", []).append(problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            problem = text_problem(key)
            if problem:
                errors.setdefault(path or "body", []).append(f"A field name: {problem}")
                continue
            _walk(item, f"{path}.{key}" if path else key, depth + 1, errors)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _walk(item, f"{path}.{index}" if path else str(index), depth + 1, errors)


def check_json(value: Any) -> None:
    """Refuse a parsed JSON body that nests too deep (400) or holds unstorable text (422)."""
    errors: dict[str, list[str]] = {}
    _walk(value, "", 1, errors)
    if errors:
        raise ValidationFailed("The request body has text that cannot be stored.", errors)


def check_request(_endpoint: str | None = None, view_args: dict | None = None) -> None:
    """Refuse unstorable path parts or read headers (400) and query parameters (422)."""
    for value in (view_args or {}).values():
        problem = isinstance(value, str) and text_problem(value)
        if problem:
            raise BadRequest(f"The URL path: {problem}")
    for name in READ_HEADERS:
        problem = text_problem(request.headers.get(name, ""))
        if problem:
            raise BadRequest(f"The {name} header: {problem}")
    errors: dict[str, list[str]] = {}
    for key, values in request.args.lists():
        for value in (key, *values):
            problem = text_problem(value)
            if problem:
                errors.setdefault(key, []).append(problem)
    if errors:
        raise ValidationFailed("The query string has invalid parameters.", errors)


def storable_field(_form: FlaskForm, field: Field) -> None:
    """WTForms validator: what was typed into ``field`` can be stored."""
    for raw in field.raw_data or []:
        problem = isinstance(raw, str) and text_problem(raw)
        if problem:
            raise ValidationError(problem)


class StorableForm(FlaskForm):
    """A Flask-WTF form whose every field refuses unstorable text as a field error."""

    def validate(self, extra_validators=None) -> bool:
        extra = {field.short_name: [storable_field] for field in self}
        for name, validators in (extra_validators or {}).items():
            extra[name] = [*validators, *extra.get(name, [])]
        return super().validate(extra_validators=extra)


def init_app(app: Flask) -> None:
    app.url_value_preprocessor(check_request)
