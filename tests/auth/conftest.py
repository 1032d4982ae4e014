"""Fixtures for end-user authentication tests: a tenant app's client and signed-up users."""

from __future__ import annotations

import re
import threading
from urllib.parse import parse_qs, urlparse

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from tests.conftest import make_app
from tests.fixtures.mailbox import drain_mail

PASSWORD = "correct horse battery staple"


class TenantApp:
    """What a tenant app does: calls the API with its key, on behalf of end users."""

    def __init__(self, client, tenant) -> None:
        self.client = client
        self.tenant_id, self.slug = tenant

    def signup(self, email: str, password: str = PASSWORD, **extra):
        response = self.client.post(
            "/auth/register", json={"email": email, "password": password, **extra}
        )
        assert response.status_code == 201, response.json
        return response.json

    def login(self, identifier: str, password: str = PASSWORD, field: str = "email", **extra):
        return self.client.post(
            "/auth/login", json={field: identifier, "password": password, **extra}
        )

    def tokens(self, identifier: str, password: str = PASSWORD, **extra) -> dict:
        response = self.login(identifier, password, **extra)
        assert response.status_code == 200, response.json
        return response.json

    def as_user(self, method: str, path: str, token: str, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kwargs)


@pytest.fixture
def tenant_app(api_client, tenant) -> TenantApp:
    """A tenant app holding an admin key (it also manages its users)."""
    return TenantApp(api_client(tenant, ["admin"]), tenant)


@pytest.fixture
def set_auth_policy(tenant_app):
    def apply(**policy):
        response = tenant_app.client.patch("/tenant", json={"settings": {"auth": policy}})
        assert response.status_code == 200, response.json

    return apply


def link_token(message, page: str) -> str:
    """The token in the /t/<slug>/<page> link of a received email (text part)."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    url = re.search(rf"https?://\S+/t/[\w-]+/{page}\?token=\S+", body).group(0)
    return parse_qs(urlparse(url).query)["token"][0]


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on loopback (for clients such as PyJWKClient)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


@pytest.fixture
def inbox(app, mailbox):
    """The SMTP mailbox, emptied of mail queued by earlier tests (the outbox is shared)."""

    drain_mail(app)
    mailbox.clear()
    return mailbox


@pytest.fixture(params=["database", "redis"])
def store_app(request, app, database_url, tmp_path):
    """The app keeping shared counters in the database, or an app on the same database
    keeping them in a real Redis server (lockouts, rate limits, mail caps).

    ``@pytest.mark.app_settings(NAME=value)`` builds it with those settings as well."""
    marker = request.node.get_closest_marker("app_settings")
    settings = dict(marker.kwargs) if marker else {}
    if request.param == "database" and not settings:
        yield app
        return
    if request.param == "redis":
        settings["REDIS_URL"] = request.getfixturevalue("redis_url")
    store = make_app(database_url, tmp_path, **settings)
    with store.app_context():
        upgrade()
    yield store
    make_app(database_url, tmp_path)  # the limiter is process-wide: back to memory storage
