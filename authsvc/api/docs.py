"""Documentation models shared by every namespace: problem details."""

from __future__ import annotations

from flask_restx import Model, fields

EXAMPLE_TIME = "2026-11-24T09:30:00+00:00"

problem = Model(
    "Problem",
    {
        "type": fields.String(example="urn:authsvc:problem:not-found"),
        "title": fields.String(example="Not found"),
        "status": fields.Integer(example=404),
        "detail": fields.String(example="The requested resource does not exist."),
        "instance": fields.String(example="/api/v1/users/0190d1c4-0000-7000-8000-000000000000"),
    },
)

validation_problem = problem.inherit(
    "ValidationProblem",
    {"errors": fields.Raw(example={"email": ["This field is required."]})},
)

_TITLES = {
    400: "Malformed request (not JSON, empty body)",
    401: "Missing, unknown, revoked or expired API key",
    403: "The API key lacks the required scope",
    404: "Not found (also for another tenant's objects)",
    409: "Conflict with existing data",
    413: "Request body too large",
    415: "Body is not application/json",
    422: "Validation failed; `errors` maps fields to messages",
    429: "Rate limit exceeded; see Retry-After",
}


def document_errors(ns, *statuses: int):
    """Decorator: document the problem responses a method can give."""
    for model in (problem, validation_problem):
        ns.models.setdefault(model.name, model)

    def decorator(view):
        for status in (401, 429, *statuses):
            model = validation_problem if status == 422 else problem
            # By name (registered above): flask-restx deep-copies a model object into
            # every decorated method's doc at import, which made up a third of start-up.
            view = ns.response(status, _TITLES[status], model.name)(view)
        return view

    return decorator
