"""Fixtures for the admin panel: admin accounts and signed-in test clients."""

from __future__ import annotations

import re

import pytest

from tests.conftest import unique
from tests.webhooks.conftest import drain, hooks, webhook_config  # noqa: F401 - panel webhook tests

PASSWORD = "admin password 123"
TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


class AdminClient:
    """A test client signed in to the panel; posts carry the session's CSRF token."""

    def __init__(self, client, email: str) -> None:
        self.client, self.email, self.token = client, email, None

    def login(self, password: str = PASSWORD):
        page = self.client.get("/admin/login")
        response = self.client.post(
            "/admin/login",
            data={"email": self.email, "password": password, "csrf_token": csrf_token(page.text)},
        )
        self.refresh_token()
        return response

    def refresh_token(self) -> None:
        page = self.client.get("/admin/", follow_redirects=True)
        match = TOKEN.search(page.text)
        self.token = (match.group(1) or match.group(2)) if match else None

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, data=None, csrf=True, **kw):
        data = dict(data or {})
        if csrf and self.token:
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)

    def switch(self, tenant) -> None:
        response = self.post("/admin/switch", {"tenant": str(tenant[0])})
        assert response.status_code == 302, response.status_code


@pytest.fixture
def make_admin(app):
    """``make_admin(*tenants, platform=False)`` -> email of a new admin."""

    # Imported late: importing the admins service first would start a circular import.
    from authsvc.admins.service import create_admin
    from authsvc.extensions import db
    from authsvc.tenants.models import Tenant

    def factory(*tenants, platform: bool = False) -> str:
        email = f"{unique('admin')}@example.com"
        with app.app_context():
            if platform:
                create_admin(email, PASSWORD)
            for tenant_id, _slug in tenants:
                create_admin(email, PASSWORD, db.session.get(Tenant, tenant_id))
        return email

    return factory


@pytest.fixture
def admin_client(app, make_admin):
    """``admin_client(*tenants, platform=False)``: a client signed in as a new admin."""

    def factory(*tenants, platform: bool = False) -> AdminClient:
        client = AdminClient(app.test_client(), make_admin(*tenants, platform=platform))
        response = client.login()
        assert response.status_code == 302, response.text
        return client

    return factory
