"""The API's operations, read from its OpenAPI 3.1 document, and the requests they make.

Nothing here names an endpoint: every operation of the server's document is callable
by its ``operationId``, so endpoints added to authsvc are usable without a new release.
Sync and async clients share this module and differ only in how they send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from authsvc_client.errors import problem_from

METHODS = ("get", "put", "post", "delete", "patch")
DOCUMENT_PATH = "/api/v1/openapi.json"


@dataclass(frozen=True)
class Operation:
    """One operation: where it lives, what it takes, how it authenticates."""

    operation_id: str
    method: str
    path: str
    #: Parameter name -> location ("path", "query" or "header").
    params: dict[str, str] = field(default_factory=dict)
    bearer: bool = False
    has_body: bool = False
    paginated: bool = False
    summary: str = ""


def read_operations(document: dict[str, Any]) -> dict[str, Operation]:
    """Every operation of an OpenAPI 3.x document, by ``operationId``."""
    server = document.get("servers", [{"url": ""}])[0]["url"].rstrip("/")
    found = {}
    for path, item in document["paths"].items():
        shared = item.get("parameters", [])
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            params = {p["name"]: p["in"] for p in [*shared, *op.get("parameters", [])]}
            schemes = {name for requirement in op.get("security", []) for name in requirement}
            found[op["operationId"]] = Operation(
                operation_id=op["operationId"],
                method=method.upper(),
                path=server + path,
                params=params,
                bearer="bearer" in schemes,
                has_body="requestBody" in op,
                paginated="cursor" in params,
                summary=op.get("summary", ""),
            )
    return found


def build_request(
    http: httpx.Client | httpx.AsyncClient,
    op: Operation,
    args: dict[str, Any],
    *,
    json: Any = None,
    headers: dict[str, str],
) -> httpx.Request:
    """The request for ``op`` with keyword ``args`` named after its parameters."""
    unknown = set(args) - set(op.params)
    if unknown:
        raise TypeError(f"{op.operation_id}() got unexpected arguments {sorted(unknown)}")
    path = op.path
    query, extra = {}, dict(headers)
    for name, where in op.params.items():
        if where == "path":
            if name not in args:
                raise TypeError(f"{op.operation_id}() is missing the argument {name!r}")
            path = path.replace("{" + name + "}", quote(str(args[name]), safe=""))
        elif name in args and args[name] is not None:
            value = args[name]
            value = str(value).lower() if isinstance(value, bool) else str(value)
            (query if where == "query" else extra)[name] = value
    if json is not None and not op.has_body:
        raise TypeError(f"{op.operation_id}() takes no body")
    return http.build_request(op.method, path, params=query, headers=extra, json=json)


def result(response: httpx.Response) -> Any:
    """The decoded body of a successful answer (None when empty); raises its problem."""
    if response.status_code >= 400:
        raise problem_from(response)
    if not response.content or "json" not in response.headers.get("content-type", ""):
        return None
    return response.json()


def page_items(body: Any) -> tuple[list[Any], str | None]:
    """The rows and next cursor of a page; a plain list is a single page."""
    if isinstance(body, dict):
        return body.get("items", []), body.get("next_cursor")
    return list(body or []), None
