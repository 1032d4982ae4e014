"""Token verification in tenant apps (Flask, FastAPI) and webhook signatures."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import jwt
import pytest
from authsvc_client import (
    AuthsvcClient,
    InvalidToken,
    InvalidWebhook,
    TokenVerifier,
    verify_webhook,
)
from authsvc_client.fastapi_auth import RequireUser
from authsvc_client.flask_auth import AuthsvcAuth, current_claims
from client_testdata import PASSWORD
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI
from flask import Flask


@pytest.fixture
def signed_in(base_url, tenant):
    """(front end client, the user's session) for a user with the ``editor`` role."""
    with AuthsvcClient(base_url, tenant.admin_key) as admin:
        admin.call(
            "post_user_list",
            json={"email": "v@example.com", "password": PASSWORD, "roles": ["member"]},
        )
        session = admin.user_session()
        session.login(PASSWORD, email="v@example.com")
        yield admin, session


def forged_token(base_url, tenant) -> str:
    """A token with the right claims, signed by a key that is not the tenant's."""
    key = ec.generate_private_key(ec.SECP256R1())
    claims = {"iss": f"{base_url}/t/{tenant.slug}", "aud": tenant.slug, "sub": "x", "tid": "x"}
    claims["exp"] = int(time.time()) + 60
    return jwt.encode(claims, key, algorithm="ES256", headers={"typ": "at+jwt", "kid": "forged"})


def test_verifier_accepts_the_tenants_token_and_refuses_look_alikes(
    base_url, tenant, make_tenant, signed_in
):
    _admin, session = signed_in
    token = session.tokens.access_token
    claims = TokenVerifier(base_url, tenant.slug).verify(token)
    assert claims["email"] == "v@example.com" and claims["roles"] == ["member"]
    with pytest.raises(InvalidToken):
        TokenVerifier(base_url, tenant.slug).verify(forged_token(base_url, tenant))
    with pytest.raises(InvalidToken):  # another tenant's app refuses this tenant's token
        TokenVerifier(base_url, make_tenant().slug).verify(token)
    with pytest.raises(InvalidToken):
        TokenVerifier(base_url, tenant.slug).verify(token[:-4] + "AAAA")


def test_revocation_is_seen_only_with_the_check(base_url, tenant, signed_in):
    _admin, session = signed_in
    token = session.tokens.access_token
    strict = TokenVerifier(base_url, tenant.slug, check_revocation=True)
    assert strict.verify(token)["sub"]
    session.logout()
    assert TokenVerifier(base_url, tenant.slug).verify(token)  # local: valid until it expires
    with pytest.raises(InvalidToken):
        strict.verify(token)


def test_flask_extension_protects_routes(base_url, tenant, signed_in):
    app = Flask(__name__)
    app.config.update(AUTHSVC_URL=base_url, AUTHSVC_TENANT=tenant.slug)
    auth = AuthsvcAuth(app)

    @app.get("/notes")
    @auth.required("member")
    def notes():
        return {"owner": current_claims()["email"]}

    @app.get("/admin")
    @auth.required("admin")
    def admin_only():
        return {}

    client = app.test_client()
    bearer = {"Authorization": f"Bearer {signed_in[1].tokens.access_token}"}
    assert client.get("/notes", headers=bearer).json == {"owner": "v@example.com"}
    refused = client.get("/notes")
    assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    forged = {"Authorization": f"Bearer {forged_token(base_url, tenant)}"}
    assert client.get("/notes", headers=forged).status_code == 401
    assert client.get("/admin", headers=bearer).status_code == 403


def test_flask_extension_refuses_to_start_unconfigured():
    with pytest.raises(RuntimeError):
        AuthsvcAuth(Flask(__name__))


def test_fastapi_dependency_protects_routes_and_checks_revocation(base_url, tenant, signed_in):
    verifier = TokenVerifier(base_url, tenant.slug, check_revocation=True)
    app = FastAPI()

    @app.get("/notes")
    async def notes(claims: dict = Depends(RequireUser(verifier))):  # noqa: B008 - FastAPI's idiom
        return {"owner": claims["email"]}

    @app.get("/admin")
    async def admin_only(claims: dict = Depends(RequireUser(verifier, roles=["admin"]))):  # noqa: B008
        return {}

    session = signed_in[1]
    bearer = {"Authorization": f"Bearer {session.tokens.access_token}"}

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            ok = await client.get("/notes", headers=bearer)
            assert ok.json() == {"owner": "v@example.com"}
            missing = await client.get("/notes")
            assert missing.status_code == 401 and "Bearer" in missing.headers["www-authenticate"]
            assert (await client.get("/admin", headers=bearer)).status_code == 403
            await asyncio.to_thread(session.logout)
            assert (await client.get("/notes", headers=bearer)).status_code == 401

    asyncio.run(scenario())


def test_webhook_messages_verify_and_tampering_is_caught(server, base_url, tenant, receiver):
    from authsvc.worker import Worker

    url, received = receiver
    with AuthsvcClient(base_url, tenant.admin_key) as admin:
        hook = admin.call("post_webhook_list", json={"url": url})
        admin.call("post_webhook_test", webhook_id=hook["id"])
    Worker(server[1]).run_until_idle(30)
    [(headers, body)] = received
    event = verify_webhook(hook["secret"], body, headers)
    assert event["type"] == json.loads(body)["type"]
    # Old and new secret both accepted during a rotation.
    assert verify_webhook(["whsec_" + "A" * 32, hook["secret"]], body, headers) == event
    with pytest.raises(InvalidWebhook):
        verify_webhook(hook["secret"], body.replace(b"}", b' , "x": 1}', 1), headers)
    with pytest.raises(InvalidWebhook):
        verify_webhook(hook["secret"], body, {**headers, "webhook-id": "msg_other"})
