"""The hosted invitation page, end to end with real mail: two invitations, one accepted by
signing in, one by creating an account first; opening the link never spends it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from tests.fixtures.mailbox import drain_mail
from tests.hosted.conftest import PASSWORD, submit, text


def _invitation_link(app, mailbox, tenant, address: str) -> str:
    """The path of the newest invitation link of ``tenant`` mailed to ``address``."""
    drain_mail(app)
    pattern = rf"http://authsvc\.test(/t/{tenant[1]}/invitations/accept\?token=\S+)"
    bodies = [m.get_body(("plain",)).get_content() for m in mailbox.to(address)]
    links = [found.group(1) for body in bodies if (found := re.search(pattern, body))]
    return links[-1]


def _sign_in(client, tenant, email: str):
    fields = {"identifier": email, "password": PASSWORD}
    return submit(client, f"/t/{tenant[1]}/login", fields)


def test_a_user_accepts_two_invitations_through_the_hosted_page(
    app, client, tenant, api_client, make_user, mailbox
):
    key = api_client(tenant, ["orgs:read", "orgs:write"])
    acme = key.post("/organizations", json={"name": "Acme", "slug": "acme"}).json
    globex = key.post("/organizations", json={"name": "Globex", "slug": "globex"}).json
    make_user(tenant, email="ada@example.com", password=PASSWORD, is_verified=True)
    key.post(f"/organizations/{acme['id']}/invitations", json={"email": "ada@example.com"})
    first = _invitation_link(app, mailbox, tenant, "ada@example.com")
    # Not signed in: the page names the organization and offers sign-in; nothing is spent.
    page = client.get(first)
    assert page.status_code == 200 and "Join Acme" in text(page) and "Sign in" in text(page)
    # Signing in comes back to the invitation, which a button then accepts.
    signed_in = _sign_in(client, tenant, "ada@example.com")
    assert signed_in.status_code == 303
    assert "/invitations/accept" in signed_in.headers["Location"]
    joined = submit(client, urlsplit(signed_in.headers["Location"]).path, {})
    assert joined.status_code == 200 and "now a member of Acme" in text(joined)
    again = client.get(first)
    assert again.status_code == 422 and "already been used" in text(again)
    # The second invitation, while signed in: one click.
    key.post(f"/organizations/{globex['id']}/invitations", json={"email": "ada@example.com"})
    second = _invitation_link(app, mailbox, tenant, "ada@example.com")
    joined = submit(client, second, {})
    assert joined.status_code == 200 and "now a member of Globex" in text(joined)
    members = key.get(f"/organizations/{globex['id']}/members").json["items"]
    assert [row["email"] for row in members] == ["ada@example.com"]


def test_the_page_refuses_another_users_browser_and_a_bad_token(
    app, client, tenant, api_client, make_user, mailbox
):
    key = api_client(tenant, ["orgs:write"])
    acme = key.post("/organizations", json={"name": "Acme", "slug": "acme"}).json
    make_user(tenant, email="mallory@example.com", password=PASSWORD, is_verified=True)
    key.post(f"/organizations/{acme['id']}/invitations", json={"email": "ada@example.com"})
    link = _invitation_link(app, mailbox, tenant, "ada@example.com")
    _sign_in(client, tenant, "mallory@example.com")
    refused = submit(client, link, {})
    assert refused.status_code == 403 and "another email address" in text(refused)
    bad = client.get(f"/t/{tenant[1]}/invitations/accept?token=forged")
    assert bad.status_code == 422 and "not valid" in text(bad)
    missing_csrf = client.post(link, data={})
    assert missing_csrf.status_code in (400, 422)


def test_an_invitee_without_an_account_creates_one_and_comes_back(
    app, client, tenant, api_client, mailbox
):
    key = api_client(tenant, ["orgs:read", "orgs:write"])
    acme = key.post("/organizations", json={"name": "Acme", "slug": "acme"}).json
    key.post(f"/organizations/{acme['id']}/invitations", json={"email": "new@example.com"})
    link = _invitation_link(app, mailbox, tenant, "new@example.com")
    assert "Create an account" in text(client.get(link))
    fields = {"email": "new@example.com", "password": PASSWORD, "confirm": PASSWORD}
    assert submit(client, f"/t/{tenant[1]}/register", fields).status_code == 201
    drain_mail(app)
    [verify_mail] = [m for m in mailbox.to("new@example.com") if "Confirm" in m["Subject"]]
    verify_url = re.search(
        r"http://authsvc\.test(/t/\S+/verify\?token=\S+)",
        verify_mail.get_body(("plain",)).get_content(),
    ).group(1)
    assert submit(client, verify_url, {}).status_code == 200
    signed_in = _sign_in(client, tenant, "new@example.com")
    assert "/invitations/accept" in signed_in.headers["Location"]
    joined = submit(client, urlsplit(signed_in.headers["Location"]).path, {})
    assert joined.status_code == 200 and "now a member of Acme" in text(joined)
