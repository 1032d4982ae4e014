"""Types generated from the served OpenAPI 3.1 document, checked by mypy, used live.

``authsvc_client.typegen`` writes the schemas as ``TypedDict``s (through
``datamodel-code-generator``) and per-operation overloads of ``call``/``paginate``;
mypy then has to accept typed_usage.py's correct calls and reject each marked mistake.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from authsvc_client import AuthsvcClient
from authsvc_client.typegen import main as typegen

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="module")
def generated(server, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("types")
    assert (
        typegen([f"{server[0]}/api/v1/openapi.json", "-o", str(folder / "authsvc_types.py")]) == 0
    )
    return folder / "authsvc_types.py"


def test_mypy_accepts_the_right_calls_and_rejects_each_mistake(generated):
    checked = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--warn-unused-ignores",
            "--no-incremental",
            "--cache-dir",
            "/dev/null",
            str(HERE / "typed_usage.py"),
        ],
        env={"MYPYPATH": str(generated.parent), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Success: no issues found in 1 source file" in checked.stdout


def test_every_operation_of_the_document_has_an_overload(generated, server):
    document = httpx.get(f"{server[0]}/api/v1/openapi.json").json()
    code = generated.read_text()
    for item in document["paths"].values():
        for method, op in item.items():
            if method != "parameters":
                assert f"operation_id: Literal[{op['operationId']!r}]" in code


def test_the_typed_client_is_the_client_and_answers_live(generated, base_url, tenant):
    spec = importlib.util.spec_from_file_location("authsvc_types", generated)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with AuthsvcClient(base_url, tenant.admin_key) as client:
        api = module.typed(client)
        assert api is client
        user = api.call("post_user_list", json={"email": "typed@example.com"})
        assert api.call("get_user_item", user_id=user["id"])["email"] == "typed@example.com"
        assert [row["email"] for row in api.paginate("get_user_list", q="typed")] == [
            "typed@example.com"
        ]
