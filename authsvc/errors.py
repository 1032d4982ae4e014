"""The error hierarchy and the one place that renders errors.

API clients get RFC 9457 problem details (``application/problem+json``);
people in the admin panel or on hosted pages get an HTML page. Access to
another tenant's object is a :class:`NotFound`, indistinguishable from a
missing one.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from flask import Flask, Response, g, json, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

PROBLEM_TYPE_PREFIX = "urn:authsvc:problem:"
PROBLEM_CONTENT_TYPE = "application/problem+json"
TENANT_PREFIX = re.compile(r"^/t/[a-z0-9][a-z0-9-]{0,62}/")


class AuthsvcError(Exception):
    """Base of every error a client may see; subclasses fix status and type."""

    status = 500
    slug = "internal-error"
    title = "Internal server error"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extra = extra
        self.headers: dict[str, str] = {}


class BadRequest(AuthsvcError):
    status, slug, title = 400, "bad-request", "Bad request"


class AuthenticationFailed(AuthsvcError):
    status, slug, title = 401, "authentication-failed", "Authentication required"

    def __init__(self, detail: str | None = None, scheme: str = "ApiKey", **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["WWW-Authenticate"] = f'{scheme} realm="authsvc"'


class PermissionDenied(AuthsvcError):
    status, slug, title = 403, "permission-denied", "Permission denied"


class NotFound(AuthsvcError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(AuthsvcError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(AuthsvcError):
    status, slug, title = 409, "conflict", "Conflict"


class PayloadTooLarge(AuthsvcError):
    status, slug, title = 413, "payload-too-large", "Request body too large"


class UnsupportedMediaType(AuthsvcError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(AuthsvcError):
    """Input that parsed but is not acceptable; ``errors`` maps field -> messages."""

    status, slug, title = 422, "validation-failed", "Validation failed"

    def __init__(self, detail: str | None = None, errors: dict[str, list[str]] | None = None):
        super().__init__(detail or "The request body has invalid fields.", errors=errors or {})


class RateLimited(AuthsvcError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, detail: str | None = None, retry_after: int = 60, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.headers["Retry-After"] = str(max(1, int(retry_after)))


class ServiceUnavailable(AuthsvcError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"


_HTTP_TO_ERROR: dict[int, type[AuthsvcError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        AuthenticationFailed,
        PermissionDenied,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        RateLimited,
        ServiceUnavailable,
    )
}


def problem_body(error: AuthsvcError) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + error.slug,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
    }
    if request:
        body["instance"] = request.path
    body.update(error.extra)
    return body


def from_http_exception(exc: HTTPException) -> AuthsvcError:
    """Translate werkzeug's exceptions (404 routing, 405, 413...) into ours."""
    cls = _HTTP_TO_ERROR.get(exc.code or 500)
    if cls is None:
        error = AuthsvcError(exc.description)
        error.status, error.title = exc.code or 500, exc.name
        error.slug = exc.name.lower().replace(" ", "-")
        return error
    if cls is RateLimited:
        return _from_rate_limit(exc)
    if cls is AuthenticationFailed:
        return AuthenticationFailed()
    detail = exc.description if cls is not NotFound else "The requested resource does not exist."
    if cls is MethodNotAllowed:
        detail = f"{request.method} is not allowed here."
    return cls(detail)


def _from_rate_limit(exc: HTTPException) -> RateLimited:
    retry_after = 60
    limit = getattr(exc, "limit", None)
    if limit is not None:
        retry_after = int(limit.limit.get_expiry())
    return RateLimited(f"Rate limit exceeded ({exc.description}).", retry_after=retry_after)


def wants_html() -> bool:
    """Panel and hosted pages speak HTML to browsers; everything else speaks JSON."""
    # Hosted pages on a tenant's own domain have no /t/ prefix; their blueprint names them.
    hosted_domain = request.blueprint == "hosted_domain"
    if not (request.path.startswith(("/admin", "/t/")) or hosted_domain):
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "text/html"


def _error_template() -> str | None:
    """The panel's layout in the panel, the tenant's theme on its pages, else None (plain)."""
    if request.path.startswith("/admin"):
        return "admin/error.html"
    if "tenant" in g and request.blueprint in ("hosted", "hosted_domain"):
        return "hosted/error.html"
    return None


def _way_back() -> str | None:
    """The tenant's start page for a page under ``/t/<slug>/``; elsewhere there is none."""
    match = TENANT_PREFIX.match(request.path)
    return match.group(0) if match else None


def _error_page(error: AuthsvcError) -> str:
    template = _error_template()
    try:
        if template is not None:
            return render_template(template, error=error)
    except Exception:  # the layout itself failed (e.g. the database is down): stay plain
        log.exception("error page layout failed on %s", request.path)
    back = _way_back() if error.status != 503 else None
    return render_template("errors/error.html", error=error, back_url=back)


def render_error(error: AuthsvcError) -> Response:
    if wants_html():
        html = _error_page(error)
        response = Response(html, status=error.status, mimetype="text/html")
    else:
        response = Response(
            json.dumps(problem_body(error)), status=error.status, mimetype=PROBLEM_CONTENT_TYPE
        )
    response.headers.update(error.headers)
    return response


def handle_exception(exc: Exception) -> Response:
    """Render any exception; unexpected ones are logged and answered with a bare 500."""
    if isinstance(exc, AuthsvcError):
        return render_error(exc)
    if isinstance(exc, HTTPException):
        if exc.response is not None:  # rendered where it was raised (a breached rate limit)
            return exc.response
        response = render_error(from_http_exception(exc))
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
    log.exception("unhandled error on %s %s", request.method, request.path)
    return render_error(AuthsvcError("An unexpected error occurred; it has been logged."))


def init_app(app: Flask) -> None:
    app.register_error_handler(Exception, handle_exception)
