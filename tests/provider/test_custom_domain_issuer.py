"""A tenant's verified custom domain is an issuer of its own: discovery, endpoints, ``iss``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import jwt as pyjwt
from authlib.common.security import generate_token

from tests.conftest import unique
from tests.hosted.conftest import PASSWORD, submit
from tests.provider.conftest import REDIRECT, OAuth2Client


def domain_name() -> str:
    return f"{unique('sso')}.example.com"


def test_discovery_on_a_verified_domain_names_that_host(client, tenant, verified_domain):
    name = domain_name()
    verified_domain(tenant, name)
    base = f"https://{name}"
    metadata = client.get("/.well-known/openid-configuration", base_url=base).json
    assert metadata["issuer"] == base
    assert metadata["authorization_endpoint"] == f"{base}/oauth2/authorize"
    assert metadata["token_endpoint"] == f"{base}/oauth2/token"
    assert metadata["end_session_endpoint"] == f"{base}/oauth2/logout"
    assert metadata["jwks_uri"] == f"{base}/.well-known/jwks.json"
    keys = client.get("/.well-known/jwks.json", base_url=base).json
    assert keys == client.get(f"/t/{tenant[1]}/.well-known/jwks.json").json
    # The host is compared case-insensitively, and the issuer is its lower-case form.
    shouted = client.get("/.well-known/openid-configuration", base_url=base.upper()).json
    assert shouted["issuer"] == base


def test_only_a_verified_domain_has_a_discovery_document(
    client, api_client, tenant, other_tenant, verified_domain
):
    """The platform host, a pending claim and a stranger's host answer 404; tenant B's
    verified domain describes tenant B, never tenant A."""
    assert client.get("/.well-known/openid-configuration").status_code == 404
    pending = domain_name()
    assert api_client(tenant).patch("/tenant", json={"domains": [pending]}).status_code == 200
    for host in (pending, "unclaimed.example.org"):
        answer = client.get("/.well-known/openid-configuration", base_url=f"https://{host}")
        assert answer.status_code == 404, host
    theirs = domain_name()
    verified_domain(other_tenant, theirs)
    mine = client.get(f"/t/{tenant[1]}/.well-known/jwks.json").json
    their_keys = client.get("/.well-known/jwks.json", base_url=f"https://{theirs}").json
    assert their_keys == client.get(f"/t/{other_tenant[1]}/.well-known/jwks.json").json
    assert not {k["kid"] for k in mine["keys"]} & {k["kid"] for k in their_keys["keys"]}


def test_a_code_flow_on_the_domain_issues_tokens_from_that_issuer(
    app, client, tenant, other_tenant, member, register, verified_domain
):
    name = domain_name()
    verified_domain(tenant, name)
    base = f"https://{name}"
    application = register(first_party=True)
    relying_party = OAuth2Client(
        client_id=application["client_id"],
        client_secret=application["client_secret"],
        redirect_uri=REDIRECT,
        scope="openid email",
        code_challenge_method="S256",
        transport=httpx.WSGITransport(app=app),
    )
    signed_in = submit(
        client, "/login", {"identifier": member["email"], "password": PASSWORD}, base_url=base
    )
    assert signed_in.status_code == 303
    verifier = generate_token(48)
    url, _state = relying_party.create_authorization_url(
        f"{base}/oauth2/authorize", code_verifier=verifier, nonce="n-domain"
    )
    answer = client.get(url)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    code = parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]
    token = relying_party.fetch_token(f"{base}/oauth2/token", code=code, code_verifier=verifier)
    jwks = pyjwt.PyJWKSet.from_dict(client.get("/.well-known/jwks.json", base_url=base).json)
    kid = pyjwt.get_unverified_header(token["id_token"])["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    claims = pyjwt.decode(
        token["id_token"], key, algorithms=["ES256", "RS256"], audience=application["client_id"]
    )
    assert claims["iss"] == base and claims["nonce"] == "n-domain"
    info = relying_party.get(f"{base}/oauth2/userinfo").json()
    assert info["sub"] == member["id"]
    # Tenant A's client is unknown at tenant B's domain: no token, whatever the secret.
    theirs = domain_name()
    verified_domain(other_tenant, theirs)
    refused = client.post(
        f"https://{theirs}/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(application["client_id"], application["client_secret"]),
    )
    assert refused.status_code == 401 and refused.json["error"] == "invalid_client"
