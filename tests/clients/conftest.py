"""A live authsvc on loopback for the client libraries and the integration examples."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from authsvc.tenancy import tenant_context
from tests.conftest import make_app, unique
from tests.fixtures.mailbox import free_port


@dataclass
class LiveTenant:
    slug: str
    admin_key: str
    auth_key: str


@pytest.fixture(scope="session")
def live(tmp_path_factory):
    """(base URL, app): authsvc whose BASE_URL (the tokens' issuer) is its real address."""
    port = free_port()
    folder = tmp_path_factory.mktemp("live-authsvc")
    base = f"http://127.0.0.1:{port}"
    app = make_app(
        f"sqlite:///{folder / 'authsvc.db'}",
        folder,
        BASE_URL=base,
        WEBHOOK_ALLOW_PRIVATE_TARGETS=True,
    )
    with app.app_context():
        upgrade()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield base, app
    server.shutdown()
    thread.join(5)


@pytest.fixture(scope="session")
def make_live_tenant(live):
    """A fresh tenant of the live server with an admin key and an ``auth``-scope key."""
    from authsvc.apikeys.service import create_api_key
    from authsvc.tenants.service import create_tenant

    def factory() -> LiveTenant:
        slug = unique("live")
        with live[1].app_context():
            tenant_id = create_tenant(slug, "Live").id
            with tenant_context(tenant_id):
                _row, admin = create_api_key("admin", ["admin"])
                _row, auth = create_api_key("front end", ["auth"])
        return LiveTenant(slug, admin, auth)

    return factory


@pytest.fixture
def live_tenant(make_live_tenant) -> LiveTenant:
    return make_live_tenant()
