"""Access tokens: independent verification from the JWKS, and everything we must reject."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt as pyjwt
import pytest

from authsvc.tokens.keys import published_jwks


@pytest.fixture
def signed_in(tenant_app):
    tenant_app.signup("ada@example.com", username="ada")
    return tenant_app.tokens("ada@example.com")


def test_login_accepts_email_or_username_in_either_field(tenant_app):
    tenant_app.signup("grace@example.com", username="grace")
    for field, identifier in [
        ("email", "grace@example.com"),
        ("username", "grace"),
        ("username", "GRACE@example.com"),
        ("email", "Grace"),
    ]:
        body = tenant_app.tokens(identifier, field=field)
        assert body["token_type"] == "Bearer" and body["expires_in"] == 900
        assert body["refresh_token"].startswith("rt_")


def test_wrong_password_and_unknown_user_get_the_same_answer(tenant_app):
    tenant_app.signup("known@example.com")
    wrong = tenant_app.login("known@example.com", "not the password")
    unknown = tenant_app.login("ghost@example.com", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json["detail"] == unknown.json["detail"]


def test_disabled_user_never_signs_in(tenant_app):
    user = tenant_app.signup("gone@example.com")
    tenant_app.client.patch(f"/users/{user['id']}", json={"is_active": False})
    assert tenant_app.login("gone@example.com").status_code == 401


def test_tokens_verify_with_pyjwt_from_the_jwks_url(app, tenant_app, signed_in, live_server):
    jwks_url = f"{live_server}/t/{tenant_app.slug}/.well-known/jwks.json"
    config = pyjwt.PyJWKClient(jwks_url).get_signing_key_from_jwt(signed_in["access_token"])
    claims = pyjwt.decode(
        signed_in["access_token"],
        config.key,
        algorithms=["ES256"],
        audience=tenant_app.slug,
        issuer=f"http://authsvc.test/t/{tenant_app.slug}",
    )
    assert {"sub", "exp", "iat", "jti", "tid", "sid", "roles"} <= set(claims)
    assert claims["roles"] == ["member"] and claims["tid"] == str(tenant_app.tenant_id)
    header = pyjwt.get_unverified_header(signed_in["access_token"])
    assert header["typ"] == "at+jwt" and header["kid"] == config.key_id


def test_openid_configuration_names_issuer_and_jwks(client, tenant_app, signed_in):
    doc = client.get(f"/t/{tenant_app.slug}/.well-known/openid-configuration").json
    assert doc["issuer"] == f"http://authsvc.test/t/{tenant_app.slug}"
    assert doc["jwks_uri"] == f"{doc['issuer']}/.well-known/jwks.json"


def test_validate_answers_identity_headers_for_reverse_proxies(client, signed_in, tenant_app):
    response = client.get(
        "/api/v1/auth/validate", headers={"Authorization": f"Bearer {signed_in['access_token']}"}
    )
    assert response.status_code == 200
    assert response.headers["X-User-Email"] == "ada@example.com"
    assert response.headers["X-User-Roles"] == "member"
    assert response.headers["X-Tenant-Slug"] == tenant_app.slug
    assert response.headers["X-Tenant-Id"] == str(tenant_app.tenant_id)
    assert client.get("/api/v1/auth/validate").status_code == 401


def _segments(token: str):
    return token.split(".")


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    payload = _segments(token)[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _hmac_signed(header: dict, payload: str, secret: str) -> str:
    """An HS256 token keyed with the public key: the classic algorithm-confusion forgery."""
    signing_input = f"{_b64(header)}.{payload}"
    digest = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def test_tampered_none_and_confused_tokens_are_rejected(app, client, signed_in, tenant_app):
    token = signed_in["access_token"]
    header, payload, signature = _segments(token)
    claims = _claims(token)
    forged_payload = _b64({**claims, "roles": ["admin"]})
    kid = pyjwt.get_unverified_header(token)["kid"]
    with app.app_context():
        public = next(k for k in published_jwks(tenant_app.tenant_id)["keys"] if k["kid"] == kid)
    candidates = {
        "tampered payload": f"{header}.{forged_payload}.{signature}",
        "alg none": f"{_b64({'alg': 'none', 'kid': kid, 'typ': 'at+jwt'})}.{forged_payload}.",
        "HS256 with the public key": _hmac_signed(
            {"alg": "HS256", "kid": kid, "typ": "at+jwt"}, forged_payload, json.dumps(public)
        ),
        "garbage": "not-a-jwt",
    }
    for name, forged in candidates.items():
        response = client.get(
            "/api/v1/auth/validate", headers={"Authorization": f"Bearer {forged}"}
        )
        assert response.status_code == 401, name
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_and_wrong_audience_tokens_are_rejected(app, client, tenant_app, set_auth_policy):
    tenant_app.signup("clock@example.com")
    set_auth_policy(access_token_ttl_seconds=60)
    token = tenant_app.tokens("clock@example.com")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/auth/validate", headers=headers).status_code == 200
    future = time.time() + 120
    original = time.time
    try:
        time.time = lambda: future
        expired = client.get("/api/v1/auth/validate", headers=headers)
    finally:
        time.time = original
    assert expired.status_code == 401 and "expired" in expired.json["detail"]
    set_auth_policy(token_audience="another-app")
    # A tenant change reaches this process's verification at once.
    assert client.get("/api/v1/auth/validate", headers=headers).status_code == 401


def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    app, client, tenant_app, signed_in
):
    old_kid = pyjwt.get_unverified_header(signed_in["access_token"])["kid"]
    result = app.test_cli_runner().invoke(
        args=["keys", "rotate", "--tenant", tenant_app.slug, "--json"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    new_kid = json.loads(result.output)["kid"]
    assert new_kid != old_kid
    published = client.get(f"/t/{tenant_app.slug}/.well-known/jwks.json").json["keys"]
    assert {old_kid, new_kid} <= {key["kid"] for key in published}
    old = client.get(
        "/api/v1/auth/validate", headers={"Authorization": f"Bearer {signed_in['access_token']}"}
    )
    assert old.status_code == 200
    fresh = tenant_app.tokens("ada@example.com")["access_token"]
    assert pyjwt.get_unverified_header(fresh)["kid"] == new_kid


def test_rs256_tenants_get_3072_bit_keys(app, tenant_app, set_auth_policy):
    set_auth_policy(token_alg="RS256")
    tenant_app.signup("rsa@example.com")
    token = tenant_app.tokens("rsa@example.com")["access_token"]
    assert pyjwt.get_unverified_header(token)["alg"] == "RS256"
    with app.app_context():
        keys = published_jwks(tenant_app.tenant_id)["keys"]
    rsa = next(k for k in keys if k["kty"] == "RSA")
    modulus = base64.urlsafe_b64decode(rsa["n"] + "=" * (-len(rsa["n"]) % 4))
    assert len(modulus) * 8 >= 3072
