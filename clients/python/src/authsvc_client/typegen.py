"""Types for every operation, generated from the server's OpenAPI 3.1 document.

``python -m authsvc_client.typegen https://id.example.com/api/v1/openapi.json -o
authsvc_types.py`` writes a module with the document's schemas as ``TypedDict``s
(by ``datamodel-code-generator``) and ``TypedClient``/``AsyncTypedClient`` protocols
whose ``call`` and ``paginate`` are overloaded per ``operationId``. ``typed(client)``
returns the same client object, seen by mypy or pyright through those protocols:
parameters, bodies and answers are then checked, and an unknown operation is an error.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import httpx

SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
METHODS = ("get", "put", "post", "delete", "patch")

HEADER = '''"""API types generated from {source} by ``authsvc_client.typegen``: do not edit."""

# ruff: noqa
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal, NotRequired, Protocol, TypeAlias, TypedDict, cast, overload

from authsvc_client import AsyncAuthsvcClient, AuthsvcClient
'''

FOOTER = '''

def typed(client: AuthsvcClient) -> TypedClient:
    """The same client, typed per operation (no wrapper at run time)."""
    return cast(TypedClient, client)


def typed_async(client: AsyncAuthsvcClient) -> AsyncTypedClient:
    """The same asyncio client, typed per operation."""
    return cast(AsyncTypedClient, client)
'''


def models(document: dict[str, Any]) -> str:
    """The document's component schemas as ``TypedDict`` classes (header stripped)."""
    from datamodel_code_generator import (
        DataModelType,
        InputFileType,
        PythonVersion,
        generate,
    )

    code = generate(
        json.dumps(document),
        input_file_type=InputFileType.OpenAPI,
        output_model_type=DataModelType.TypingTypedDict,
        target_python_version=PythonVersion.PY_311,
        use_standard_collections=True,
        use_union_operator=True,
        use_closed_typed_dict=False,
        disable_timestamp=True,
        formatters=[],
    )
    body = [line for line in str(code).splitlines() if not line.startswith(("from ", "#"))]
    return "\n".join(body).strip() + "\n"


def annotation(schema: dict[str, Any] | None) -> str:
    """The Python type of a (small) JSON schema: refs, arrays, scalars, enums."""
    if not schema:
        return "Any"
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return "Literal[" + ", ".join(repr(v) for v in schema["enum"]) + "]"
    kind = schema.get("type")
    if kind == "array":
        return f"list[{annotation(schema.get('items'))}]"
    if kind == "object":
        return "dict[str, Any]"
    return SCALARS.get(kind, "Any") if isinstance(kind, str) else "Any"


def _json_schema(content: dict[str, Any]) -> dict[str, Any] | None:
    for media, entry in content.items():
        if "json" in media:
            return entry.get("schema")
    return None


def _answer(op: dict[str, Any]) -> str:
    for status, response in sorted(op.get("responses", {}).items()):
        if status.startswith("2"):
            schema = _json_schema(response.get("content", {}))
            return annotation(schema) if schema else ("Any" if response.get("content") else "None")
    return "None"


def _row(document: dict[str, Any], answer: str) -> str | None:
    """The row type of a cursor page (``{items: [...], next_cursor}``)."""
    schema = document.get("components", {}).get("schemas", {}).get(answer, {})
    items = schema.get("properties", {}).get("items")
    return annotation(items.get("items")) if items and items.get("type") == "array" else None


def _arguments(item: dict[str, Any], op: dict[str, Any]) -> list[str]:
    args, optional = [], []
    for param in [*item.get("parameters", []), *op.get("parameters", [])]:
        name, kind = param["name"], annotation(param.get("schema"))
        if not name.isidentifier():
            continue  # a header such as X-Tenant: the client sends it, Python cannot name it
        if param["in"] == "path" or param.get("required"):
            args.append(f"{name}: {kind}")
        else:
            optional.append(f"{name}: {kind} | None = ...")
    body = op.get("requestBody")
    if body:
        kind = annotation(_json_schema(body.get("content", {})))
        args.append(f"json: {kind}" if body.get("required") else f"json: {kind} | None = ...")
    bearer = any("bearer" in req for req in op.get("security", []))
    args.append("token: str" if bearer else "token: None = ...")
    return args + optional


def overloads(document: dict[str, Any], asynchronous: bool) -> str:
    """``call`` overloads, one per operation, then ``paginate`` ones for cursor pages."""
    calls, pages = [], []
    prefix = "async def" if asynchronous else "def"
    rows = "AsyncIterator" if asynchronous else "Iterator"
    for item in document["paths"].values():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            name, answer = op["operationId"], _answer(op)
            signature = ", ".join(["self", f"operation_id: Literal[{name!r}]", "/", "*"])
            signature += ", " + ", ".join(_arguments(item, op))
            calls += ["    @overload", f"    {prefix} call({signature}) -> {answer}: ..."]
            row = _row(document, answer)
            if row:
                paged = signature.replace(", cursor: str | None = ...", "")
                pages += ["    @overload", f"    def paginate({paged}) -> {rows}[{row}]: ..."]
    return "\n".join(calls + pages)


def render(document: dict[str, Any], source: str) -> str:
    """The whole generated module."""
    parts = [HEADER.format(source=source), models(document)]
    for cls, asynchronous in (("TypedClient", False), ("AsyncTypedClient", True)):
        parts.append(f"\nclass {cls}(Protocol):\n{overloads(document, asynchronous)}\n")
    return "\n".join(parts) + FOOTER


def load(source: str) -> dict[str, Any]:
    if source.startswith(("http://", "https://")):
        response = httpx.get(source, timeout=30)
        response.raise_for_status()
        return response.json()
    return json.loads(Path(source).read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m authsvc_client.typegen", description=__doc__)
    parser.add_argument("source", help="URL or file of the OpenAPI 3.1 document")
    parser.add_argument("-o", "--output", help="module to write (default: stdout)")
    parser.add_argument("--name", help="document name written in the header (default: source)")
    options = parser.parse_args(argv)
    code = render(load(options.source), options.name or options.source)
    if options.output:
        Path(options.output).write_text(code)
        print(f"wrote {options.output}", file=sys.stderr)
    else:
        sys.stdout.write(code)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
