"""The account page's email change (a link to the new address, a notice to the old one,
applied only on confirmation) and its list of app grants with revoke."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest

from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from tests.fixtures.mailbox import drain_mail
from tests.hosted.conftest import PASSWORD, submit, text
from tests.hosted.test_account import post, sign_in


@pytest.fixture
def signed_in(app, tenant, member):
    client = app.test_client()
    sign_in(client, tenant[1], member["email"])
    return client


def _link(app, mailbox, address: str) -> str:
    drain_mail(app)
    [message] = mailbox.to(address)
    body = message.get_body(("plain",)).get_content()
    url = re.search(r"(http://authsvc\.test/t/[a-z0-9-]+/account/email/confirm\?token=\S+)", body)
    parts = urlsplit(url.group(1))
    return f"{parts.path}?{parts.query}"


def _user(api_client, tenant, user_id):
    return api_client(tenant, ["users:read"]).get(f"/users/{user_id}").json


def _events(api_client, tenant):
    return api_client(tenant, ["audit:read"]).get("/events?type=user.updated").json["items"]


def test_email_changes_only_when_the_new_address_confirms(
    app, signed_in, tenant, member, mailbox, api_client
):
    slug = tenant[1]
    asked = post(signed_in, slug, "/email", {"email-new_email": "Grace.New@example.com",
                                             "email-password": PASSWORD})  # fmt: skip
    assert asked.status_code == 303
    assert "We sent a link to Grace.New@example.com" in text(signed_in.get(f"/t/{slug}/account"))
    link = _link(app, mailbox, "Grace.New@example.com")
    [notice] = mailbox.to(member["email"])
    assert "Grace.New@example.com" in notice.get_body(("plain",)).get_content()
    assert "token=" not in notice.get_body(("plain",)).get_content(), "no link to the old inbox"
    assert _user(api_client, tenant, member["id"])["email"] == member["email"], "not yet"
    assert _events(api_client, tenant) == []
    # Opening the link (a mail scanner's GET) spends nothing; the button does.
    page = signed_in.get(link)
    assert page.status_code == 200 and "Confirm my new email address" in text(page)
    done = submit(app.test_client(), link, {}, follow_redirects=False)
    assert done.status_code == 200 and "Grace.New@example.com" in text(done)
    user = _user(api_client, tenant, member["id"])
    assert user["email"] == "Grace.New@example.com" and user["is_verified"] is True
    [event] = _events(api_client, tenant)
    assert event["data"]["changed"] == ["email", "is_verified"]
    again = submit(app.test_client(), link, {})
    assert again.status_code == 422 and "invalid or has expired" in text(again)
    sign_in(app.test_client(), slug, "grace.new@example.com")


def test_email_change_errors_come_in_one_pass_and_need_the_password(signed_in, tenant):
    slug = tenant[1]
    empty = post(signed_in, slug, "/email", {"email-new_email": "", "email-password": ""})
    page = text(empty)
    assert empty.status_code == 422
    assert "This field is required." in page and "Give your password." in page
    wrong = post(
        signed_in, slug, "/email", {"email-new_email": "x@example.com", "email-password": "nope"}
    )
    assert wrong.status_code == 401 and "current password" in text(wrong).lower()
    mixed = post(signed_in, slug, "/email", {"email-new_email": "pаypal@example.com",  # Cyrillic а
                                             "email-password": PASSWORD})  # fmt: skip
    assert mixed.status_code == 422 and "one script" in text(mixed)


def test_own_address_in_look_alike_form_is_refused(signed_in, tenant, member):
    local, _at, domain = member["email"].partition("@")
    # Full-width capitals: NFKC and case folding make them the member's own address.
    wide = "".join(chr(ord(c.upper()) + 0xFEE0) if c.isalpha() else c for c in local)
    look_alike = f"{wide}@{domain.upper()}"
    same = post(
        signed_in, tenant[1], "/email", {"email-new_email": look_alike, "email-password": PASSWORD}
    )
    assert same.status_code == 422 and "already your email address" in text(same)


def test_a_taken_address_is_told_only_to_its_reader_on_confirmation(
    app, signed_in, tenant, member, make_user, mailbox, api_client
):
    """The request looks the same as for a free address; the link then refuses clearly."""
    other = make_user(tenant, email="taken@example.com", password="another long password 9")
    asked = post(signed_in, tenant[1], "/email", {"email-new_email": "TAKEN@example.com",
                                                  "email-password": PASSWORD})  # fmt: skip
    assert asked.status_code == 303
    assert "We sent a link to TAKEN@example.com" in text(signed_in.get(f"/t/{tenant[1]}/account"))
    link = _link(app, mailbox, "TAKEN@example.com")
    refused = submit(app.test_client(), link, {})
    assert refused.status_code == 409
    assert "already belongs to another account" in text(refused)
    assert _user(api_client, tenant, member["id"])["email"] == member["email"]
    assert _user(api_client, tenant, other["id"])["email"] == "taken@example.com"


def test_another_tenants_link_does_not_work_here(
    app, signed_in, tenant, other_tenant, mailbox, member
):
    post(
        signed_in,
        tenant[1],
        "/email",
        {"email-new_email": "moved@example.com", "email-password": PASSWORD},
    )
    link = _link(app, mailbox, "moved@example.com").replace(
        f"/t/{tenant[1]}/", f"/t/{other_tenant[1]}/"
    )
    assert submit(app.test_client(), link, {}).status_code == 422


@pytest.fixture
def grant(app, tenant, member):
    """An application the member has allowed to read their profile."""
    from authsvc.applications import consents
    from authsvc.applications.service import create_application

    with app.app_context(), tenant_context(tenant[0]):
        application, _secret = create_application(
            {"name": "Photo Printer", "redirect_uris": ["https://printer.example/cb"]}
        )
        consent = consents.remember(uuid.UUID(member["id"]), application, ["openid", "profile"])
        db.session.commit()
        return str(consent.id)


def test_app_grants_are_listed_and_revoked(app, signed_in, tenant, grant, api_client):
    slug = tenant[1]
    page = text(signed_in.get(f"/t/{slug}/account"))
    assert "Photo Printer" in page and "openid, profile" in page
    forged = signed_in.post(f"/t/{slug}/account/grants/{grant}/revoke")
    assert forged.status_code == 400 and "Photo Printer" in text(
        signed_in.get(f"/t/{slug}/account")
    )
    revoked = post(signed_in, slug, f"/grants/{grant}/revoke")
    assert revoked.status_code == 303
    page = text(signed_in.get(f"/t/{slug}/account"))
    assert "Photo Printer" not in page and "access is withdrawn" in page


def test_another_users_grant_is_not_found(app, tenant, grant, make_user):
    """Signed in as someone else of the same tenant: the member's grant id is a 404."""
    client = app.test_client()
    other = make_user(tenant, email="eve@example.com", password="eve's long password 1")
    sign_in(client, tenant[1], other["email"], "eve's long password 1")
    assert post(client, tenant[1], f"/grants/{grant}/revoke").status_code == 404
    assert post(client, tenant[1], "/grants/not-an-id/revoke").status_code in (404, 422)
