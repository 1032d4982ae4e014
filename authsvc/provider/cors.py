"""CORS on the token, userinfo and revocation endpoints, for public applications that run
in the browser (SPAs).

A single-page app redeems its code, refreshes and revokes its tokens and reads userinfo
with ``fetch`` from its own origin, which must be allowed to read the answer. The
origins allowed are those of the application's registered redirect URIs: where its pages
already receive codes. Only public applications get this (a confidential one keeps its
secret on a server, which needs no CORS). Flask-CORS computes the headers; we choose the
origin per request: the redirect origins of the public application the request names
(its form's ``client_id``, or for userinfo the application of its verified bearer
token); for a preflight, which names none, those of any public application of the bound
tenant.
"""

from __future__ import annotations

from flask import Response, request
from flask_cors.core import get_cors_options, set_cors_headers

from authsvc.applications import service
from authsvc.applications.models import PUBLIC, Application
from authsvc.provider.endpoints import access_token
from authsvc.tenants.urls import origins_of
from authsvc.tokens.bearer import bearer_token

OPTIONS = {
    "methods": ["GET", "POST"],
    "allow_headers": ["Authorization", "Content-Type"],
    "max_age": 600,
}


def _redirect_origins(applications: list[Application]) -> set[str]:
    uris = [uri for app in applications if app.client_type == PUBLIC for uri in app.redirect_uris]
    return {str(origin) for origin in origins_of(uris)}


def _named_client_id() -> str | None:
    """The application a request names: its form's ``client_id``, else its bearer token's."""
    if request.form.get("client_id"):
        return request.form["client_id"]
    raw = bearer_token()
    if raw is None:
        return None
    token = access_token(raw)
    return token.client_id if token is not None else None


def _allowed(origin: str) -> bool:
    if request.method == "OPTIONS":
        return origin in _redirect_origins(service.list_applications())
    application = service.by_client_id(_named_client_id())
    return application is not None and origin in _redirect_origins([application])


def allow_spa_origin(response: Response) -> Response:
    """Add the CORS grant to an endpoint's response when the requesting origin is one of
    the public application's own (every answer varies by Origin, for caches)."""
    origin = request.headers.get("Origin")
    if not origin:
        return response
    response.vary.add("Origin")
    if _allowed(origin):
        set_cors_headers(response, get_cors_options(None, OPTIONS, {"origins": [origin]}))
    return response
