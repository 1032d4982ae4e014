"""Invitations in a real browser: a user invited into two organizations accepts both on the
hosted page (signing in on the way), then switches between them through the API."""

from __future__ import annotations

import re
import threading

import jwt as pyjwt
import pytest
import requests
import sqlalchemy as sa
from werkzeug.serving import make_server

from authsvc.extensions import db
from authsvc.mail.models import MailMessage
from authsvc.tenancy import tenant_context
from tests.browser.conftest import fresh_database
from tests.conftest import make_app

pytestmark = pytest.mark.browser
PASSWORD = "invited user password"


@pytest.fixture(scope="module")
def site(postgres_url, tmp_path_factory):
    """A live server with a tenant, an admin key, a user and two organizations."""
    from flask_migrate import upgrade

    from authsvc.apikeys.service import create_api_key
    from authsvc.tenants.service import create_tenant

    app = make_app(fresh_database(postgres_url), tmp_path_factory.mktemp("invitations"))
    with app.app_context():
        upgrade()
        tenant = create_tenant("acme-corp", "Acme Corp")
        with tenant_context(tenant.id):
            _key, key = create_api_key("backend", ["admin"])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {
        "app": app,
        "url": f"http://127.0.0.1:{server.server_port}",
        "key": key,
        "tenant": tenant.id,
    }
    server.shutdown()
    thread.join(timeout=5)


def api(site, method: str, path: str, token: str | None = None, **kwargs):
    headers = {"X-API-Key": site["key"]}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(
        method, f"{site['url']}/api/v1{path}", headers=headers, timeout=10, **kwargs
    )


def invitation_link(site, org_id: str) -> str:
    api(site, "POST", f"/organizations/{org_id}/invitations", json={"email": "ada@example.com"})
    with site["app"].app_context(), tenant_context(site["tenant"]):
        body = db.session.execute(
            sa.select(MailMessage.body_text).order_by(MailMessage.id.desc()).limit(1)
        ).scalar_one()
    path = re.search(r"/t/acme-corp/invitations/accept\?token=\S+", body).group(0)
    return site["url"] + path


def test_a_user_accepts_two_invitations_in_a_browser_then_switches(site, page):  # noqa: F811
    user = {"email": "ada@example.com", "password": PASSWORD, "is_verified": True}
    assert api(site, "POST", "/users", json=user).status_code == 201
    acme = api(site, "POST", "/organizations", json={"name": "Acme", "slug": "acme"}).json()
    globex = api(site, "POST", "/organizations", json={"name": "Globex", "slug": "globex"}).json()

    page.goto(invitation_link(site, acme["id"]))
    assert "Join Acme" in page.inner_text("h1")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email or username").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Join as ada@example.com").click()
    page.wait_for_selector("text=Welcome to Acme")

    page.goto(invitation_link(site, globex["id"]))
    page.get_by_role("button", name="Join as ada@example.com").click()
    page.wait_for_selector("text=Welcome to Globex")

    tokens = api(
        site, "POST", "/auth/login", json={"email": user["email"], "password": PASSWORD}
    ).json()
    for org in (acme, globex, acme):
        switched = api(
            site,
            "POST",
            "/me/organization",
            tokens["access_token"],
            json={"organization_id": org["id"]},
        )
        assert switched.status_code == 200, switched.text
        tokens = switched.json()
        claims = pyjwt.decode(tokens["access_token"], options={"verify_signature": False})
        assert (claims["org_id"], claims["org_roles"]) == (org["id"], ["member"])
