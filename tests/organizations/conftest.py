"""Fixtures for organizations: a tenant app, its users signed in, invitation links from the outbox."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.mail.models import MailMessage
from authsvc.tenancy import tenant_context

PASSWORD = "organizations test password"


class Org:
    """A tenant app with an admin key, acting for its end users."""

    def __init__(self, app, client, tenant, make_user) -> None:
        self.app, self.client, self.tenant, self.make_user = app, client, tenant, make_user

    def user(self, email: str, **fields) -> dict:
        return self.make_user(self.tenant, email=email, password=PASSWORD, **fields)

    def sign_in(self, email: str) -> dict:
        response = self.client.post("/auth/login", json={"email": email, "password": PASSWORD})
        assert response.status_code == 200, response.json
        return response.json

    def as_user(self, method: str, path: str, token: str, **kwargs):
        headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
        return getattr(self.client, method)(path, headers=headers, **kwargs)

    def organization(self, slug: str, **fields) -> dict:
        response = self.client.post(
            "/organizations", json={"name": slug.title(), "slug": slug, **fields}
        )
        assert response.status_code == 201, response.json
        return response.json

    def invite(self, org_id: str, email: str, **fields) -> tuple[dict, str]:
        """Invite ``email``; returns the invitation and the token from its queued mail."""
        response = self.client.post(
            f"/organizations/{org_id}/invitations", json={"email": email, **fields}
        )
        assert response.status_code == 201, response.json
        return response.json, self.mailed_token(email)

    def mailed_token(self, email: str) -> str:
        with self.app.app_context(), tenant_context(self.tenant[0]):
            body = db.session.execute(
                sa.select(MailMessage.body_text)
                .where(
                    MailMessage.recipient == email,
                    MailMessage.template == "organization_invitation",
                )
                .order_by(MailMessage.id.desc())
                .limit(1)
            ).scalar_one()
        url = re.search(r"https?://\S+/t/[\w-]+/invitations/accept\?token=\S+", body).group(0)
        return parse_qs(urlparse(url).query)["token"][0]


@pytest.fixture
def org_app(app, api_client, tenant, make_user) -> Org:
    return Org(app, api_client(tenant, ["admin"]), tenant, make_user)


@pytest.fixture
def other_org_app(app, api_client, other_tenant, make_user) -> Org:
    return Org(app, api_client(other_tenant, ["admin"]), other_tenant, make_user)


@pytest.fixture
def two_orgs(org_app):
    """Ada is an editor of Acme and a member of Globex; Bob is in neither."""
    org_app.client.post("/permissions", json={"name": "documents:read"})
    org_app.client.post("/permissions", json={"name": "documents:write"})
    editor = {"name": "editor", "permissions": ["documents:read", "documents:write"]}
    assert org_app.client.post("/roles", json=editor).status_code == 201
    acme, globex = org_app.organization("acme"), org_app.organization("globex")
    ada, bob = org_app.user("ada@example.com"), org_app.user("bob@example.com")
    for org, roles in ((acme, ["editor"]), (globex, ["member"])):
        body = {"user_id": ada["id"], "roles": roles}
        assert (
            org_app.client.post(f"/organizations/{org['id']}/members", json=body).status_code == 201
        )
    return {"acme": acme, "globex": globex, "ada": ada, "bob": bob}
