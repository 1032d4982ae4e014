"""Sign-in outcomes for /metrics: a decorator that classifies how each sign-in step ended.

The flows themselves stay free of metrics calls: the outcome follows from what
the step returned or raised (a lock answers 429, a wrong secret 401, an
unverified address 403), and a step that ended with a session issued a token.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from authsvc.auth.tenant_policy import tenant_auth_of
from authsvc.errors import AuthenticationFailed, PermissionDenied, RateLimited
from authsvc.metrics import instruments
from authsvc.tenancy import current_tenant_id


def _slug() -> str | None:
    found = tenant_auth_of(current_tenant_id())
    return found.slug if found else None


def _outcome(error: BaseException, failure: str) -> str:
    if isinstance(error, RateLimited):
        return "locked"
    if isinstance(error, AuthenticationFailed):
        return failure
    if isinstance(error, PermissionDenied):
        return "unverified"
    return "error"


def counted_sign_in(method: str, failure: str) -> Callable:
    """Count each call of the decorated step as a sign-in by ``method``; a refused
    secret counts as ``failure``, a new session as a token issued for grant ``method``."""

    def decorator(step: Callable) -> Callable:
        @wraps(step)
        def wrapper(*args: Any, **kwargs: Any):
            try:
                result = step(*args, **kwargs)
            except Exception as error:
                instruments.sign_in(_slug(), method, _outcome(error, failure))
                raise
            slug = _slug()
            if result.mfa_required:
                instruments.sign_in(slug, method, "mfa_required")
            else:
                instruments.sign_in(slug, method, "success")
                instruments.token_issued(slug, method)
            return result

        return wrapper

    return decorator


def counted_refresh(step: Callable) -> Callable:
    """Count each successful refresh as a token issued for the ``refresh_token`` grant."""

    @wraps(step)
    def wrapper(*args: Any, **kwargs: Any):
        result = step(*args, **kwargs)
        instruments.token_issued(_slug(), "refresh_token")
        return result

    return wrapper


def lockout(locked: list[str]) -> None:
    """Count the lockouts one failed attempt caused (account and address counters)."""
    if locked:
        instruments.locked_out(_slug(), len(locked))
