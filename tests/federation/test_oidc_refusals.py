"""What a broken, hostile or unlucky provider answer ends in: a themed page, nothing created.

Each case runs against the real oidc-provider, in a mode that misbehaves the
way a provider could (``tests/oidc/provider.mjs``), or with the browser's part
of the exchange altered the way an attacker could alter it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest

from tests.conftest import unique
from tests.federation.conftest import register_oidc_provider, running_provider, start_sign_in

UNTRUSTED = "answer could not be verified"


@pytest.fixture(scope="module")
def foreign_keys_issuer() -> Iterator[str]:
    with running_provider("foreign-keys") as issuer:
        yield issuer


@pytest.fixture(scope="module")
def garbage_token_issuer() -> Iterator[str]:
    with running_provider("garbage-token") as issuer:
        yield issuer


@pytest.fixture
def admin(api_client, tenant):
    return api_client(tenant, ["admin"])


def assert_refused(admin, response, status: int, text: str, login: str) -> dict:
    """The themed page with ``text``; no user, no link; one audit entry (returned)."""
    assert response.status_code == status, response.text
    assert text in response.text and "Back to sign-in" in response.text
    assert admin.get("/users", query_string={"q": login}).json["items"] == []
    assert admin.get("/events", query_string={"type": "identity.linked"}).json["items"] == []
    (entry,) = admin.get("/audit", query_string={"action": "identity.login_failed"}).json["items"]
    return entry


def with_param(url: str, name: str, value: str | None) -> str:
    """``url`` with query parameter ``name`` set to ``value`` (removed when None)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != name]
    if value is not None:
        query.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_is_an_id_token_from_another_issuer_refused(
    client, admin, oidc_issuer, loopback_issuers, tenant
):
    """The tenant trusts http://localhost:<port>; the same server signs as 127.0.0.1."""
    configured = oidc_issuer.replace("127.0.0.1", "localhost")
    provider = register_oidc_provider(admin, oidc_issuer, configured=configured)
    login = unique("wrongiss")
    refused = client.get(start_sign_in(client, tenant[1], provider["id"], login))
    entry = assert_refused(admin, refused, 400, UNTRUSTED, login)
    assert "iss" in entry["changes"]["reason"]


def test_is_an_id_token_signed_with_a_key_not_in_the_jwks_refused(
    client, admin, foreign_keys_issuer, loopback_issuers, tenant
):
    provider = register_oidc_provider(admin, foreign_keys_issuer)
    login = unique("foreignkey")
    refused = client.get(start_sign_in(client, tenant[1], provider["id"], login))
    assert_refused(admin, refused, 400, UNTRUSTED, login)


def test_is_a_garbage_token_response_refused(
    client, admin, garbage_token_issuer, loopback_issuers, tenant
):
    provider = register_oidc_provider(admin, garbage_token_issuer)
    login = unique("garbage")
    refused = client.get(start_sign_in(client, tenant[1], provider["id"], login))
    assert_refused(admin, refused, 400, UNTRUSTED, login)


@pytest.mark.parametrize("code", ["garbage-code", "", None])
def test_is_a_made_up_or_missing_code_refused(client, admin, tenant, oidc_provider, code):
    login = unique("nocode")
    callback = start_sign_in(client, tenant[1], oidc_provider["id"], login)
    refused = client.get(with_param(callback, "code", code))
    assert_refused(admin, refused, 400, UNTRUSTED, login)


def test_is_a_callback_with_another_sign_ins_state_refused(app, admin, tenant, oidc_provider):
    """A victim's browser never accepts an answer meant for an attacker's attempt."""
    attacker, victim = app.test_client(), app.test_client()
    callback = start_sign_in(attacker, tenant[1], oidc_provider["id"], unique("attacker"))
    assert victim.get(f"/t/{tenant[1]}/login/{oidc_provider['id']}").status_code == 302
    refused = victim.get(callback)
    assert_refused(admin, refused, 400, "expired or was already used", "attacker")


def test_is_an_id_token_for_another_nonce_refused(client, admin, tenant, oidc_provider):
    """The provider signs what the authorization request asked; the saved nonce differs."""
    login = unique("nonce")

    def other_nonce(url: str) -> str:
        return with_param(url, "nonce", "attacker-chosen-nonce")

    callback = start_sign_in(client, tenant[1], oidc_provider["id"], login, tamper=other_nonce)
    refused = client.get(callback)
    entry = assert_refused(admin, refused, 400, UNTRUSTED, login)
    assert "nonce" in entry["changes"]["reason"]


def test_does_denied_consent_say_so_in_user_terms(client, admin, tenant, oidc_provider):
    login = unique("denied")
    callback = start_sign_in(client, tenant[1], oidc_provider["id"], login, abort=True)
    assert "error=access_denied" in callback
    refused = client.get(callback)
    entry = assert_refused(admin, refused, 400, "You cancelled the sign-in at Test IdP", login)
    assert "access_denied" in entry["changes"]["reason"]


def test_does_an_unreachable_provider_say_so(client, admin, loopback_issuers, tenant):
    body = {
        "kind": "oidc",
        "display_name": "Gone",
        "client_id": "c",
        "issuer": "http://127.0.0.1:9",
    }
    provider = admin.post("/identity-providers", json=body).json
    refused = client.get(f"/t/{tenant[1]}/login/{provider['id']}")
    assert refused.status_code == 502
    assert "could not be reached" in refused.text
    assert not re.search(r"127\.0\.0\.1|Connection", refused.text)
