"""CORS on the token endpoint: a public application's own origins may read the answer from
the browser, and no other origin may."""

from __future__ import annotations

import pytest

from tests.provider.conftest import authorize, sign_in

SPA = "https://spa.example.com"
ALLOW = "Access-Control-Allow-Origin"


@pytest.fixture
def spa(register):
    return register(client_type="public", redirect_uris=[f"{SPA}/callback"], first_party=True)


def token_request(client, slug: str, origin: str | None, **form):
    headers = {"Origin": origin} if origin else {}
    return client.post(f"/t/{slug}/oauth2/token", data=form, headers=headers)


def preflight(client, slug: str, origin: str):
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    headers["Access-Control-Request-Headers"] = "content-type"
    return client.options(f"/t/{slug}/oauth2/token", headers=headers)


def test_a_spa_redeems_its_code_from_its_own_origin(client, tenant, member, spa, rp):
    relying_party = rp(spa, redirect_uri=f"{SPA}/callback")
    sign_in(client, tenant[1], member["email"])
    page, _state, verifier = authorize(client, relying_party, tenant[1])
    location = page.headers["Location"]
    assert location.startswith(f"{SPA}/callback?")
    code = location.split("code=")[1].split("&")[0]
    answer = token_request(
        client,
        tenant[1],
        SPA,
        grant_type="authorization_code",
        code=code,
        redirect_uri=f"{SPA}/callback",
        code_verifier=verifier,
        client_id=spa["client_id"],
    )
    assert answer.status_code == 200 and answer.json["access_token"]
    assert answer.headers[ALLOW] == SPA and "Origin" in answer.headers["Vary"]


def test_a_spa_can_read_the_error_of_a_bad_code(client, tenant, spa):
    form = {"grant_type": "authorization_code", "code": "nope", "client_id": spa["client_id"]}
    answer = token_request(client, tenant[1], SPA, **form, redirect_uri=f"{SPA}/callback")
    assert answer.status_code == 400 and answer.json["error"] == "invalid_grant"
    assert answer.headers[ALLOW] == SPA


def test_the_preflight_is_granted_to_a_public_applications_origin(client, tenant, spa):
    answer = preflight(client, tenant[1], SPA)
    assert answer.status_code == 204
    assert answer.headers[ALLOW] == SPA
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    "origin",
    [
        "https://spa.example.com.evil.test",  # a look-alike host
        "http://spa.example.com",  # the same host over another scheme
        "https://spa.example.com:8443",  # another port
        "null",  # a sandboxed frame or a file
    ],
)
def test_look_alike_origins_are_not_granted(client, tenant, spa, origin):
    form = {"grant_type": "authorization_code", "code": "x", "client_id": spa["client_id"]}
    assert ALLOW not in token_request(client, tenant[1], origin, **form).headers
    assert ALLOW not in preflight(client, tenant[1], origin).headers


def test_only_the_named_public_applications_origins_are_granted(
    client, tenant, other_tenant, spa, register, api_client
):
    """A confidential application's redirect origin, another public app's origin, and tenant
    B's public app (at tenant A's endpoint or with its client id there) get no grant."""
    server_side = register(redirect_uris=["https://crm.example.com/cb"])
    other_spa = register(client_type="public", redirect_uris=["https://other-spa.example/cb"])
    theirs = api_client(other_tenant, ["admin"]).post(
        "/applications",
        json={
            "name": "B SPA",
            "client_type": "public",
            "redirect_uris": ["https://b-spa.example/cb"],
        },
    )
    assert theirs.status_code == 201
    cases = [
        ("https://crm.example.com", server_side["client_id"]),
        ("https://other-spa.example", spa["client_id"]),
        ("https://b-spa.example", theirs.json["client_id"]),
        (SPA, theirs.json["client_id"]),
    ]
    for origin, client_id in cases:
        form = {"grant_type": "authorization_code", "code": "x", "client_id": client_id}
        assert ALLOW not in token_request(client, tenant[1], origin, **form).headers, origin
    for origin in ("https://crm.example.com", "https://b-spa.example"):
        assert ALLOW not in preflight(client, tenant[1], origin).headers, origin
    # The control: each public application's own origin is granted, for its own requests.
    assert preflight(client, tenant[1], "https://other-spa.example").headers[ALLOW]
    form = {"grant_type": "authorization_code", "code": "x", "client_id": other_spa["client_id"]}
    own = token_request(client, tenant[1], "https://other-spa.example", **form)
    assert own.headers[ALLOW] == "https://other-spa.example"


def test_no_origin_no_grant(client, tenant, spa):
    form = {"grant_type": "authorization_code", "code": "x", "client_id": spa["client_id"]}
    assert ALLOW not in token_request(client, tenant[1], None, **form).headers


def _spa_tokens(client, tenant, member, spa, rp) -> dict:
    """The SPA's token pair, redeemed from its own origin."""
    relying_party = rp(spa, redirect_uri=f"{SPA}/callback")
    sign_in(client, tenant[1], member["email"])
    page, _state, verifier = authorize(client, relying_party, tenant[1])
    code = page.headers["Location"].split("code=")[1].split("&")[0]
    form = {"grant_type": "authorization_code", "code": code, "code_verifier": verifier}
    form |= {"redirect_uri": f"{SPA}/callback", "client_id": spa["client_id"]}
    answer = token_request(client, tenant[1], SPA, **form)
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_spa_reads_userinfo_and_revokes_from_its_own_origin_only(
    client, tenant, member, spa, rp, register
):
    tokens = _spa_tokens(client, tenant, member, spa, rp)
    userinfo = f"/t/{tenant[1]}/oauth2/userinfo"
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    own = client.get(userinfo, headers={**bearer, "Origin": SPA})
    assert own.status_code == 200 and own.json["sub"] and own.headers[ALLOW] == SPA
    # Another public application's origin may not read this application's user.
    register(client_type="public", redirect_uris=["https://other-spa.example/cb"])
    for origin in ("https://other-spa.example", "https://spa.example.com.evil.test"):
        assert ALLOW not in client.get(userinfo, headers={**bearer, "Origin": origin}).headers
    # A forged or foreign token names no application: no grant, and a 401 as before.
    forged = client.get(userinfo, headers={"Authorization": "Bearer x.y.z", "Origin": SPA})
    assert forged.status_code == 401 and ALLOW not in forged.headers
    ask = {"Origin": SPA, "Access-Control-Request-Method": "GET"}
    ask["Access-Control-Request-Headers"] = "authorization"
    granted = client.options(userinfo, headers=ask)
    assert granted.status_code == 204 and granted.headers[ALLOW] == SPA
    assert "authorization" in granted.headers["Access-Control-Allow-Headers"].lower()

    revoke = f"/t/{tenant[1]}/oauth2/revoke"
    form = {"token": tokens["refresh_token"], "client_id": spa["client_id"]}
    answer = client.post(revoke, data=form, headers={"Origin": SPA})
    assert answer.status_code == 200 and answer.headers[ALLOW] == SPA
    elsewhere = client.post(revoke, data=form, headers={"Origin": "https://other-spa.example"})
    assert ALLOW not in elsewhere.headers
    # Revoking the refresh token ended the session: userinfo refuses its access token.
    assert client.get(userinfo, headers=bearer).status_code == 401
