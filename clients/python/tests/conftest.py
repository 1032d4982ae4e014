"""A live authsvc (werkzeug in a thread, SQLite) for the client's tests, and a tenant in it."""

from __future__ import annotations

import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from authsvc import create_app
from authsvc.tenancy import tenant_context


@dataclass
class Tenant:
    slug: str
    admin_key: str
    auth_key: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[tuple[str, object]]:
    """(base URL, app): the issuer in tokens is the URL the clients call."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    folder = tmp_path_factory.mktemp("authsvc")
    app = create_app(
        {
            "ENV": "testing",
            "DATABASE_URL": f"sqlite:///{folder / 'authsvc.db'}",
            "INSTANCE_PATH": str(folder),
            "SECRET_KEY": "client-tests-secret-key-that-is-long-enough-0123",
            "BASE_URL": base,
            "WEBHOOK_ALLOW_PRIVATE_TARGETS": True,
        }
    )
    with app.app_context():
        upgrade()
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield base, app
    httpd.shutdown()
    thread.join(5)


@pytest.fixture
def base_url(server) -> str:
    return server[0]


@pytest.fixture
def make_tenant(server):
    """A fresh tenant with an admin key and an ``auth``-scope key (what a front end holds)."""
    from authsvc.apikeys.service import create_api_key
    from authsvc.tenants.service import create_tenant

    def factory() -> Tenant:
        slug = f"c-{secrets.token_hex(4)}"
        with server[1].app_context():
            tenant_id = create_tenant(slug, slug.title()).id
            with tenant_context(tenant_id):
                _key, admin = create_api_key("admin", ["admin"])
                _key, auth = create_api_key("front end", ["auth"])
        return Tenant(slug, admin, auth)

    return factory


@pytest.fixture
def tenant(make_tenant) -> Tenant:
    return make_tenant()


@pytest.fixture
def receiver() -> Iterator[tuple[str, list]]:
    """A webhook receiver on loopback: (URL, list of (headers, body) received)."""
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            received.append((dict(self.headers.items()), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/hook", received
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)
