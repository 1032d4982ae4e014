"""The JavaScript client (clients/js): its types and its ``node --test`` suite, live.

authsvc runs here over real HTTP; the node tests call it with keys made for them. The
TypeScript types are generated from the served OpenAPI 3.1 document by
``openapi-typescript`` and compiled with ``tsc`` against the client's declarations, so
an endpoint added to authsvc is typed without an edit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "js"
BIN = CLIENT / "node_modules" / ".bin"


@pytest.fixture(scope="module", autouse=True)
def installed():
    if not (BIN / "tsc").exists():
        pytest.fail("clients/js/node_modules is missing: run `npm ci` in clients/js")


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=CLIENT, env=env, capture_output=True, text=True, timeout=110, check=False
    )


def test_types_generated_from_the_served_document_compile(live, tmp_path):
    """The committed src/schema.d.ts is what the served document generates.

    The Next.js example type-checks against it in its own build, so a stale or missing
    file breaks that build; here the drift is named. test/types.ts also expects errors
    (unknown operation, unknown parameter).
    """
    url = f"{live[0]}/api/v1/openapi.json"
    fresh = tmp_path / "schema.d.ts"
    generated = run([str(BIN / "openapi-typescript"), url, "-o", str(fresh)])
    assert generated.returncode == 0, generated.stderr
    assert "get_user_list" in fresh.read_text()
    assert fresh.read_text() == (CLIENT / "src" / "schema.d.ts").read_text(), (
        "clients/js/src/schema.d.ts is stale: regenerate it (docs/clients.md, Types)"
    )
    compiled = run([str(BIN / "tsc"), "-p", "tsconfig.json"])
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def test_node_suite_passes_against_the_live_server(live, live_tenant):
    node = shutil.which("node")
    assert node, "Node.js 20+ is needed for clients/js"
    env = {
        **os.environ,
        "AUTHSVC_URL": live[0],
        "AUTHSVC_TENANT": live_tenant.slug,
        "AUTHSVC_ADMIN_KEY": live_tenant.admin_key,
        "AUTHSVC_AUTH_KEY": live_tenant.auth_key,
    }
    result = run([node, "--test", "test/"], env=env)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
    passed = int(result.stdout.split("# pass ", 1)[1].split()[0])
    assert passed >= 9
