"""Account enumeration (issue 11.11): recovery flows answer, and work, the same for any address;
a tenant may have sign-up answer the same too, mailing the address's owner instead of a 409."""

from __future__ import annotations

import re

import pytest

from tests.auth.conftest import PASSWORD
from tests.conftest import unique
from tests.fixtures.mailbox import drain_mail
from tests.sql import statements

# Headers that differ between any two requests, whatever they ask.
PER_REQUEST = {"X-Request-ID", "X-RateLimit-Reset"}


def _answer(response) -> tuple:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in PER_REQUEST)
    return response.status_code, response.get_data(), headers


@pytest.mark.parametrize("path", ["/auth/forgot-password", "/auth/resend-verification"])
def test_do_known_and_unknown_addresses_run_the_same_statements_and_get_the_same_bytes(
    app, tenant_app, path
):
    known = f"{unique('known')}@example.com"
    tenant_app.signup(known)  # unverified: a resend would mail it
    unknown = f"{unique('nobody')}@example.com"

    def ask(email: str, ip: str):
        headers = {"X-End-User-IP": ip}
        return tenant_app.client.post(path, json={"email": email}, headers=headers)

    ask(f"{unique('warm')}@example.com", "192.0.2.1")  # caches filled alike for both below
    with statements(app) as for_known:
        answer_known = ask(known, "192.0.2.2")
    with statements(app) as for_unknown:
        answer_unknown = ask(unknown, "192.0.2.3")

    assert answer_known.status_code == 202
    assert _answer(answer_known) == _answer(answer_unknown)
    assert for_known == for_unknown
    writes = [s for s in for_known if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 1 and writes[0].startswith("INSERT INTO mail_requests")
    assert not any("FROM users" in s for s in for_known), "no account lookup in the request"


def test_does_the_worker_mail_the_known_address_and_discard_the_unknown_one(app, tenant_app, inbox):
    known = f"{unique('known')}@example.com"
    tenant_app.signup(known)
    drain_mail(app)
    inbox.clear()
    unknown = f"{unique('nobody')}@example.com"
    for email in (known, unknown):
        tenant_app.client.post("/auth/forgot-password", json={"email": email})
    drain_mail(app)
    assert [m["Subject"] for m in inbox.to(known)] == [
        f"Reset your {tenant_app.slug.title()} password"
    ]
    assert inbox.to(unknown) == []


def test_does_sign_up_with_a_taken_address_answer_409_by_default(tenant_app):
    email = f"{unique('taken')}@example.com"
    tenant_app.signup(email)
    again = tenant_app.client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert again.status_code == 409 and list(again.json["errors"]) == ["email"]


def test_with_email_owner_does_sign_up_answer_alike_and_mail_the_owner_instead(
    app, tenant_app, set_auth_policy, inbox
):
    set_auth_policy(registration_conflict="email_owner")
    owner = f"{unique('owner')}@example.com"
    tenant_app.client.post("/users", json={"email": owner, "password": PASSWORD})
    fresh = f"{unique('fresh')}@example.com"

    def register(email: str, ip: str, password: str = "another good passphrase"):
        body = {"email": email, "password": password}
        return tenant_app.client.post("/auth/register", json=body, headers={"X-End-User-IP": ip})

    taken, new = register(owner, "192.0.2.10"), register(fresh, "192.0.2.11")
    assert taken.status_code == new.status_code == 202
    assert _answer(taken) == _answer(new)
    assert taken.json == {"status": "accepted"}
    weak_taken, weak_new = (
        register(owner, "192.0.2.12", "short"),
        register(f"{unique('weak')}@example.com", "192.0.2.13", "short"),
    )
    assert weak_taken.status_code == weak_new.status_code == 422
    assert weak_taken.json["errors"] == weak_new.json["errors"]

    drain_mail(app)
    [notice] = inbox.to(owner)
    assert notice["Subject"].startswith("Someone tried to register with your address")
    text = notice.get_body(("plain",)).get_content()
    assert f"/t/{tenant_app.slug}/login" in text and f"/t/{tenant_app.slug}/forgot-password" in text
    assert "token=" not in text
    assert [m["Subject"] for m in inbox.to(fresh)][0].startswith("Confirm your email address")
    assert tenant_app.login(owner, PASSWORD).status_code == 200, "the account is unchanged"
    assert tenant_app.login(owner, "another good passphrase").status_code == 401


def test_with_email_owner_is_the_hosted_sign_up_page_the_same_for_a_taken_address(
    client, tenant, api_client, make_user
):
    from tests.hosted.conftest import submit, text

    admin = api_client(tenant, ["admin"])
    policy = {"settings": {"auth": {"registration_conflict": "email_owner"}}}
    assert admin.patch("/tenant", json=policy).status_code == 200
    owner = make_user(tenant, password=PASSWORD)["email"]
    pages = []
    for email in (owner, f"{unique('fresh')}@example.com"):
        fields = {"email": email, "password": PASSWORD, "confirm": PASSWORD}
        response = submit(client, f"/t/{tenant[1]}/register", fields)
        assert response.status_code == 202
        pages.append(re.sub(re.escape(email), "ADDRESS", text(response).split("<main")[1]))
    assert pages[0] == pages[1]
    assert "account is created" not in pages[0]
