"""A Postman collection (format v2.1) generated from the OpenAPI 3.1 document.

One folder per tag, one request per operation, with the operation's example body.
The collection authenticates with the ``{{apiKey}}`` variable; operations secured by a
Bearer token use ``{{accessToken}}`` instead, so a tester signs in once and pastes the
token. ``{{baseUrl}}`` already ends with the API's ``/api/v1`` prefix.
"""

from __future__ import annotations

import json
from typing import Any

from authsvc.api.openapi import METHODS

SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"


def collection(document: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The Postman collection for ``document``, calling the server at ``base_url``."""
    folders: dict[str, dict[str, Any]] = {
        tag["name"]: _folder(tag["name"], tag.get("description", ""))
        for tag in document.get("tags", [])
    }
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                tag = (operation.get("tags") or ["default"])[0]
                folder = folders.setdefault(tag, _folder(tag, ""))
                folder["item"].append(_item(path, method, operation, item.get("parameters", [])))
    server = document.get("servers", [{"url": ""}])[0]["url"]
    return {
        "info": {
            "name": document["info"]["title"],
            "description": document["info"].get("description", ""),
            "version": document["info"].get("version", ""),
            "schema": SCHEMA,
        },
        "item": [folder for folder in folders.values() if folder["item"]],
        "auth": _apikey_auth(document),
        "variable": [
            {"key": "baseUrl", "value": base_url.rstrip("/") + server, "type": "string"},
            {"key": "apiKey", "value": "", "type": "string"},
            {"key": "accessToken", "value": "", "type": "string"},
        ],
    }


def _folder(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "description": description, "item": []}


def _apikey_auth(document: dict[str, Any]) -> dict[str, Any]:
    schemes = document.get("components", {}).get("securitySchemes", {})
    header = next((s["name"] for s in schemes.values() if s.get("type") == "apiKey"), "X-API-Key")
    return {
        "type": "apikey",
        "apikey": [
            {"key": "key", "value": header, "type": "string"},
            {"key": "value", "value": "{{apiKey}}", "type": "string"},
            {"key": "in", "value": "header", "type": "string"},
        ],
    }


def _item(path: str, method: str, operation: dict, shared: list[dict]) -> dict[str, Any]:
    params = [*shared, *operation.get("parameters", [])]
    segments = [
        ":" + part[1:-1] if part.startswith("{") else part for part in path.strip("/").split("/")
    ]
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}/" + "/".join(segments),
        "host": ["{{baseUrl}}"],
        "path": segments,
    }
    variables = [_pair(p) for p in params if p["in"] == "path"]
    if variables:
        url["variable"] = variables
    query = [{**_pair(p), "disabled": True} for p in params if p["in"] == "query"]
    if query:
        url["query"] = query
    request: dict[str, Any] = {
        "method": method.upper(),
        "header": [{**_pair(p), "disabled": True} for p in params if p["in"] == "header"],
        "url": url,
        "description": operation.get("description") or operation.get("summary", ""),
    }
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        request["header"].append({"key": "Content-Type", "value": "application/json"})
        request["body"] = {
            "mode": "raw",
            "raw": json.dumps(body.get("example", {}), indent=2),
            "options": {"raw": {"language": "json"}},
        }
    if any("bearer" in requirement for requirement in operation.get("security", [])):
        token = {"key": "token", "value": "{{accessToken}}", "type": "string"}
        request["auth"] = {"type": "bearer", "bearer": [token]}
    name = operation.get("summary") or operation["operationId"]
    return {"name": name, "request": request, "response": []}


def _pair(param: dict[str, Any]) -> dict[str, Any]:
    return {"key": param["name"], "value": "", "description": param.get("description", "")}
