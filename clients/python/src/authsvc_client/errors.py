"""Problem documents (RFC 9457) from authsvc, raised as typed exceptions."""

from __future__ import annotations

from typing import Any

import httpx


class AuthsvcError(Exception):
    """Anything this client raises on purpose."""


class ProblemError(AuthsvcError):
    """authsvc answered with an error: the fields of its problem document."""

    def __init__(self, status: int, problem: dict[str, Any], headers: httpx.Headers) -> None:
        self.status = status
        self.type: str = problem.get("type", "about:blank")
        self.title: str = problem.get("title", "")
        self.detail: str = problem.get("detail", "")
        #: Field name -> messages, for validation failures (422).
        self.errors: dict[str, list[str]] = problem.get("errors") or {}
        self.problem = problem
        self.headers = headers
        fields = "; ".join(
            f"{name}: {' '.join(map(str, msgs))}" for name, msgs in self.errors.items()
        )
        super().__init__(f"{status} {self.title}: {self.detail} {fields}".strip())


class BadRequest(ProblemError):
    """400, 413 or 415: the request could not be read."""


class Unauthorized(ProblemError):
    """401: missing, unknown or revoked API key or access token."""


class Forbidden(ProblemError):
    """403: the API key lacks the scope."""


class NotFound(ProblemError):
    """404: no such object in this tenant."""


class Conflict(ProblemError):
    """409: conflicts with existing data."""


class ValidationError(ProblemError):
    """422: ``errors`` maps fields to messages."""


class RateLimited(ProblemError):
    """429: too many requests; ``retry_after`` seconds to wait."""

    @property
    def retry_after(self) -> int | None:
        value = self.headers.get("Retry-After", "")
        return int(value) if value.isdigit() else None


class MfaRequired(AuthsvcError):
    """The password was right; finish with ``complete_mfa(mfa_token, code)``."""

    def __init__(self, mfa_token: str) -> None:
        self.mfa_token = mfa_token
        super().__init__("A second factor is required")


class NotSignedIn(AuthsvcError):
    """A user session call with no tokens: sign in first (or pass stored tokens)."""


class InvalidToken(AuthsvcError):
    """An access token failed local verification or the revocation check."""


_BY_STATUS = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: BadRequest,
    415: BadRequest,
    422: ValidationError,
    429: RateLimited,
}


def problem_from(response: httpx.Response) -> ProblemError:
    """The exception for an error ``response``, whatever its body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"title": response.reason_phrase, "detail": response.text[:200]}
    cls = _BY_STATUS.get(response.status_code, ProblemError)
    return cls(response.status_code, body, response.headers)
