"""Protect Flask routes with authsvc access tokens (``pip install authsvc-client[flask]``).

Configuration: ``AUTHSVC_URL``, ``AUTHSVC_TENANT``, optional ``AUTHSVC_AUDIENCE`` and
``AUTHSVC_CHECK_REVOCATION``. A refused request gets a 401 (or 403 for a missing role)
problem document with ``WWW-Authenticate: Bearer``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, jsonify, request

from authsvc_client.errors import InvalidToken
from authsvc_client.verify import TokenVerifier, bearer_token

EXTENSION = "authsvc_client"


class AuthsvcAuth:
    """``auth = AuthsvcAuth(app)``, then ``@auth.required()`` or ``@auth.required("admin")``."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        for key in ("AUTHSVC_URL", "AUTHSVC_TENANT"):
            if not app.config.get(key):
                raise RuntimeError(f"{key} must be set to protect routes with authsvc")
        app.extensions[EXTENSION] = TokenVerifier(
            app.config["AUTHSVC_URL"],
            app.config["AUTHSVC_TENANT"],
            audience=app.config.get("AUTHSVC_AUDIENCE"),
            check_revocation=bool(app.config.get("AUTHSVC_CHECK_REVOCATION", False)),
        )

    def required(self, *roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator: the request needs a valid access token (and every one of ``roles``)."""

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                token = bearer_token(request.headers.get("Authorization"))
                if token is None:
                    return _problem(401, "Missing bearer token")
                try:
                    claims = current_app.extensions[EXTENSION].verify(token)
                except InvalidToken as exc:
                    return _problem(401, f"Invalid token: {exc}")
                if not set(roles) <= set(claims.get("roles", [])):
                    return _problem(403, "A required role is missing")
                g.authsvc_claims = claims
                return view(*args, **kwargs)

            return wrapper

        return decorator


def current_claims() -> dict[str, Any]:
    """The verified claims of this request's token (inside a ``required`` view)."""
    return g.authsvc_claims


def _problem(status: int, detail: str):
    title = "Unauthorized" if status == 401 else "Forbidden"
    response = jsonify(type="about:blank", title=title, status=status, detail=detail)
    response.status_code = status
    response.mimetype = "application/problem+json"
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response
