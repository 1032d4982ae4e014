"""Sign-in with GitHub (OAuth 2.0 and its REST API, no ID token) through the hosted pages."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.conftest import unique
from tests.federation.conftest import APP_ORIGIN
from tests.federation.github_fake import account_id


@pytest.fixture
def admin(api_client, tenant):
    return api_client(tenant, ["admin"])


def github_callback(client, slug: str, provider_id: str, login: str, **at_github) -> str:
    """Start at the hosted page, play the user at the fake GitHub, and return the
    callback's path and query."""
    started = client.get(f"/t/{slug}/login/{provider_id}")
    assert started.status_code == 302, started.text
    authorize = started.headers["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert query["code_challenge_method"] == ["S256"] and "state" in query
    answer = requests.get(
        authorize, params={"login": login, **at_github}, allow_redirects=False, timeout=30
    )
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    assert f"{callback.scheme}://{callback.hostname}" == APP_ORIGIN
    return f"{callback.path}?{callback.query}"


def test_does_a_github_sign_in_create_the_user_from_the_primary_verified_email(
    client, admin, tenant, github_provider, github_fake
):
    login = unique("octo")
    done = client.get(github_callback(client, tenant[1], github_provider["id"], login))
    assert done.status_code == 303, done.text
    assert done.headers["Location"].endswith(f"/t/{tenant[1]}/account")
    users = admin.get("/users", query_string={"email": f"{login}@users.example"}).json["items"]
    (user,) = users
    assert user["is_verified"] is True and user["display_name"] == f"GitHub {login}"
    linked = admin.get("/events", query_string={"type": "identity.linked"}).json["items"]
    assert [e["data"]["identity"]["subject"] for e in linked] == [str(account_id(login))]
    (created,) = admin.get("/events", query_string={"type": "user.created"}).json["items"]
    (login_event,) = admin.get("/events", query_string={"type": "user.login"}).json["items"]
    assert created["data"]["via"] == login_event["data"]["via"] == "github"
    # The client secret went in the form body (as GitHub wants), with the PKCE verifier.
    sent = github_fake.token_requests[-1]
    assert sent["auth"] is None and sent["form"]["code_verifier"]


@pytest.mark.parametrize("prefix", ["unverified", "noemail"])
def test_is_a_github_account_without_a_primary_verified_email_refused(
    client, admin, tenant, github_provider, prefix
):
    login = unique(prefix)
    refused = client.get(github_callback(client, tenant[1], github_provider["id"], login))
    assert refused.status_code == 400
    assert "did not share your email address" in refused.text
    # The verified secondary address is never used.
    assert (
        admin.get("/users", query_string={"email": f"{login}-other@example.com"}).json["items"]
        == []
    )
    assert admin.get("/events", query_string={"type": "identity.linked"}).json["items"] == []


def test_does_denied_consent_at_github_end_on_a_themed_page(client, admin, tenant, github_provider):
    callback = github_callback(client, tenant[1], github_provider["id"], unique("no"), deny="1")
    refused = client.get(callback)
    assert refused.status_code == 400
    assert "You cancelled the sign-in at GitHub" in refused.text
    (entry,) = admin.get("/audit", query_string={"action": "identity.login_failed"}).json["items"]
    assert "access_denied" in entry["changes"]["reason"]


def test_is_a_garbage_answer_from_the_github_api_refused(client, admin, tenant, github_provider):
    login = unique("garbage")
    refused = client.get(github_callback(client, tenant[1], github_provider["id"], login))
    assert refused.status_code == 400
    assert "could not be verified" in refused.text
    assert admin.get("/events", query_string={"type": "identity.linked"}).json["items"] == []


def test_is_a_code_replayed_at_github_refused(client, admin, tenant, github_provider):
    callback = github_callback(client, tenant[1], github_provider["id"], unique("twice"))
    assert client.get(callback).status_code == 303
    assert client.get(callback).status_code == 400


def test_does_the_github_kind_default_to_github_com_and_its_scopes(admin):
    body = {"kind": "github", "display_name": "GitHub", "client_id": "Iv1.x"}
    created = admin.post("/identity-providers", json=body)
    assert created.status_code == 201, created.json
    assert created.json["issuer"] == "https://github.com"
    assert created.json["scopes"] == ["read:user", "user:email"]
    enterprise = admin.post(
        "/identity-providers", json={**body, "issuer": "https://github.corp.example/"}
    )
    assert enterprise.json["issuer"] == "https://github.corp.example"
    insecure = admin.post("/identity-providers", json={**body, "issuer": "http://github.com"})
    assert insecure.status_code == 422 and "issuer" in insecure.json["errors"]
