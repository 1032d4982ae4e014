"""The JavaScript client (clients/js): its types and its ``node --test`` suite, live.

authsvc runs here over real HTTP; the node tests call it with keys made for them. The
TypeScript types are generated from the served OpenAPI 3.1 document by
``openapi-typescript`` and compiled with ``tsc`` against the client's declarations, so
an endpoint added to authsvc is typed without an edit.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from authsvc.tenancy import tenant_context
from tests.conftest import make_app, unique

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "js"
BIN = CLIENT / "node_modules" / ".bin"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """authsvc on loopback whose BASE_URL (the tokens' issuer) is its real address."""
    if not (BIN / "tsc").exists():
        pytest.fail("clients/js/node_modules is missing: run `npm ci` in clients/js")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = tmp_path_factory.mktemp("js-client")
    base = f"http://127.0.0.1:{port}"
    app = make_app(f"sqlite:///{folder / 'authsvc.db'}", folder, BASE_URL=base)
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, app
    server.shutdown()
    thread.join(5)


def node_env(base: str, app) -> dict[str, str]:
    from authsvc.apikeys.service import create_api_key
    from authsvc.tenants.service import create_tenant

    slug = unique("js")
    with app.app_context():
        tenant_id = create_tenant(slug, "JS client").id
        with tenant_context(tenant_id):
            _row, admin = create_api_key("admin", ["admin"])
            _row, auth = create_api_key("front end", ["auth"])
    return {
        **os.environ,
        "AUTHSVC_URL": base,
        "AUTHSVC_TENANT": slug,
        "AUTHSVC_ADMIN_KEY": admin,
        "AUTHSVC_AUTH_KEY": auth,
    }


def run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        args, cwd=CLIENT, env=env, capture_output=True, text=True, timeout=110, check=False
    )


def test_types_generated_from_the_served_document_compile(live):
    """test/types.ts also expects errors (unknown operation, unknown parameter)."""
    url = f"{live[0]}/api/v1/openapi.json"
    generated = run([str(BIN / "openapi-typescript"), url, "-o", "src/schema.d.ts"])
    assert generated.returncode == 0, generated.stderr
    assert "get_user_list" in (CLIENT / "src" / "schema.d.ts").read_text()
    compiled = run([str(BIN / "tsc"), "-p", "tsconfig.json"])
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr


def test_node_suite_passes_against_the_live_server(live):
    node = shutil.which("node")
    assert node, "Node.js 20+ is needed for clients/js"
    result = run([node, "--test", "test/"], env=node_env(*live))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout
    passed = int(result.stdout.split("# pass ", 1)[1].split()[0])
    assert passed >= 9
