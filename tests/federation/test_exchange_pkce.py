"""A one-time code bound to the app's PKCE challenge (S256): the ``auth`` key is public in
browser apps, so the code alone must be worth nothing to whoever copies it."""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest

from tests.conftest import unique
from tests.federation.conftest import start_sign_in
from tests.federation.test_exchange import APP_URL, query_of


@pytest.fixture
def admin(api_client, tenant):
    client = api_client(tenant, ["admin"])
    settings = {"settings": {"redirect_urls": [APP_URL]}}
    assert client.patch("/tenant", json=settings).status_code == 200
    return client


def s256(verifier: str) -> str:
    # Computed here as RFC 7636 says, independently of authsvc's code.
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def bound_code(app, tenant, provider, verifier: str | None) -> str:
    """A code from a sign-in started with ``verifier``'s S256 challenge (None: no PKCE)."""
    pkce = {"code_challenge": s256(verifier), "code_challenge_method": "S256"} if verifier else {}
    browser = app.test_client()
    callback = start_sign_in(
        browser, tenant[1], provider["id"], unique("pk"), return_to=APP_URL, **pkce
    )
    done = browser.get(callback)
    assert done.status_code == 303, done.text
    return query_of(done.headers["Location"])["code"][0]


def test_does_the_right_verifier_turn_a_bound_code_into_tokens(
    app, admin, api_client, tenant, oidc_provider
):
    verifier = secrets.token_urlsafe(48)
    code = bound_code(app, tenant, oidc_provider, verifier)
    body = {"code": code, "code_verifier": verifier}
    tokens = api_client(tenant, ["auth"]).post("/auth/exchange", json=body)
    assert tokens.status_code == 200, tokens.json
    assert tokens.json["access_token"] and tokens.json["refresh_token"].startswith("rt_")


@pytest.mark.parametrize("attempt", ["no-verifier", "look-alike-verifier", "other-verifier"])
def test_is_a_stolen_code_refused_without_its_verifier_and_left_for_the_app(
    app, admin, api_client, tenant, oidc_provider, attempt
):
    """The thief holds the tenant's public ``auth`` key and the code, not the verifier."""
    verifier = secrets.token_urlsafe(48)
    code = bound_code(app, tenant, oidc_provider, verifier)
    thief = api_client(tenant, ["auth"])
    forged = {
        "no-verifier": {},
        "look-alike-verifier": {
            "code_verifier": verifier[:-1] + ("A" if verifier[-1] != "A" else "B")
        },
        "other-verifier": {"code_verifier": secrets.token_urlsafe(48)},
    }[attempt]
    stolen = thief.post("/auth/exchange", json={"code": code, **forged})
    unknown = thief.post("/auth/exchange", json={"code": "unknown-code", **forged})
    assert stolen.status_code == unknown.status_code == 422
    assert stolen.json == unknown.json
    assert admin.get("/events", query_string={"type": "session.created"}).json["items"] == []
    # The app, with its verifier, still finishes its sign-in.
    mine = thief.post("/auth/exchange", json={"code": code, "code_verifier": verifier})
    assert mine.status_code == 200, mine.json


def test_is_a_verifier_for_an_unbound_code_refused(app, admin, api_client, tenant, oidc_provider):
    """A verifier where no challenge was given is a confused or forged request."""
    code = bound_code(app, tenant, oidc_provider, None)
    body = {"code": code, "code_verifier": secrets.token_urlsafe(48)}
    assert api_client(tenant, ["auth"]).post("/auth/exchange", json=body).status_code == 422


@pytest.mark.parametrize(
    "query",
    [
        {"code_challenge": "x" * 43, "code_challenge_method": "plain"},
        {"code_challenge": "x" * 43},
        {"code_challenge": "x" * 43, "code_challenge_method": "s256"},
        {"code_challenge": "short", "code_challenge_method": "S256"},
        {"code_challenge": "x" * 10_000, "code_challenge_method": "S256"},
        {"code_challenge_method": "S256"},
    ],
    ids=["plain", "no-method-means-plain", "look-alike-method", "short", "costly", "no-challenge"],
)
def test_is_a_start_with_anything_but_an_s256_challenge_refused(
    app, admin, tenant, oidc_provider, query
):
    started = app.test_client().get(
        f"/t/{tenant[1]}/login/{oidc_provider['id']}",
        query_string={"return_to": APP_URL, **query},
    )
    assert started.status_code == 400
    assert "S256" in started.text and "Back to sign-in" in started.text


def test_is_an_oversized_verifier_a_problem_document(api_client, tenant):
    body = {"code": "any", "code_verifier": "v" * 10_000}
    refused = api_client(tenant, ["auth"]).post("/auth/exchange", json=body)
    assert refused.status_code in (400, 413, 422)
    assert refused.headers["Content-Type"].startswith("application/problem+json")
