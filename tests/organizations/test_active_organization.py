"""Switching the active organization: token claims, refresh, and /auth/validate's X-Org-* headers."""

from __future__ import annotations

import jwt as pyjwt


def claims_of(token: str) -> dict:
    # Reading only: /auth/validate and tests/auth prove the signature checks.
    return pyjwt.decode(token, options={"verify_signature": False})


def switch(org_app, access: str, org_id):
    return org_app.as_user("post", "/me/organization", access, json={"organization_id": org_id})


def validate(org_app, access: str, **kwargs):
    return org_app.client.client.get(
        "/api/v1/auth/validate",
        headers={"Authorization": f"Bearer {access}", **kwargs.pop("headers", {})},
        **kwargs,
    )


def test_switching_issues_tokens_with_the_organizations_claims(org_app, two_orgs):
    tokens = org_app.sign_in("ada@example.com")
    assert "org_id" not in claims_of(tokens["access_token"])
    mine = org_app.as_user("get", "/me/organizations", tokens["access_token"]).json
    assert [(row["slug"], row["roles"], row["active"]) for row in mine] == [
        ("acme", ["editor"], False),
        ("globex", ["member"], False),
    ]
    switched = switch(org_app, tokens["access_token"], two_orgs["acme"]["id"])
    assert switched.status_code == 200, switched.json
    claims = claims_of(switched.json["access_token"])
    assert claims["org_id"] == two_orgs["acme"]["id"] and claims["org_slug"] == "acme"
    assert claims["org_roles"] == ["editor"]
    assert claims["org_permissions"] == ["documents:read", "documents:write"]
    assert claims["sid"] == claims_of(tokens["access_token"])["sid"]
    mine = org_app.as_user("get", "/me/organizations", switched.json["access_token"]).json
    assert [row["active"] for row in mine] == [True, False]
    # The session remembers: a refresh keeps the organization.
    refreshed = org_app.client.post(
        "/auth/refresh", json={"refresh_token": switched.json["refresh_token"]}
    )
    assert claims_of(refreshed.json["access_token"])["org_slug"] == "acme"
    # Switching again, to the other one, and then to none.
    other = switch(org_app, refreshed.json["access_token"], two_orgs["globex"]["id"]).json
    assert claims_of(other["access_token"])["org_permissions"] == []
    cleared = switch(org_app, other["access_token"], None).json
    assert "org_id" not in claims_of(cleared["access_token"])


def test_switching_spends_the_sessions_earlier_refresh_tokens(org_app, two_orgs):
    tokens = org_app.sign_in("ada@example.com")
    switch(org_app, tokens["access_token"], two_orgs["acme"]["id"])
    reused = org_app.client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert reused.status_code == 401


def test_a_user_cannot_switch_to_an_organization_they_are_not_in(org_app, two_orgs, other_org_app):
    """Attacker cases: a non-member (403), a made-up or another tenant's organization (404)."""
    bob = org_app.sign_in("bob@example.com")["access_token"]
    refused = switch(org_app, bob, two_orgs["acme"]["id"])
    assert refused.status_code == 403 and refused.content_type == "application/problem+json"
    assert switch(org_app, bob, "not-an-id").status_code == 404
    foreign = other_org_app.organization("acme")
    assert switch(org_app, bob, foreign["id"]).status_code == 404
    ada = org_app.sign_in("ada@example.com")["access_token"]
    assert switch(org_app, ada, foreign["id"]).status_code == 404


def test_a_removed_member_loses_the_claims_at_the_next_refresh(org_app, two_orgs):
    tokens = switch(
        org_app, org_app.sign_in("ada@example.com")["access_token"], two_orgs["acme"]["id"]
    ).json
    path = f"/organizations/{two_orgs['acme']['id']}/members/{two_orgs['ada']['id']}"
    assert org_app.client.delete(path).status_code == 204
    refreshed = org_app.client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert "org_id" not in claims_of(refreshed.json["access_token"])


def test_validate_sends_the_org_headers_and_checks_a_permission(org_app, two_orgs):
    access = switch(
        org_app, org_app.sign_in("ada@example.com")["access_token"], two_orgs["acme"]["id"]
    ).json["access_token"]
    ok = validate(org_app, access)
    assert ok.status_code == 200
    assert ok.headers["X-Org-Id"] == two_orgs["acme"]["id"] and ok.headers["X-Org-Slug"] == "acme"
    assert ok.headers["X-Org-Roles"] == "editor"
    assert ok.headers["X-Org-Permissions"] == "documents:read,documents:write"
    assert (
        validate(org_app, access, query_string={"permission": "documents:read"}).status_code == 200
    )
    denied = validate(org_app, access, query_string={"permission": "billing:manage"})
    assert denied.status_code == 403 and denied.content_type == "application/problem+json"
    assert validate(org_app, access, query_string={"permission": ""}).status_code == 403


def test_forged_org_headers_in_the_request_grant_nothing(org_app, two_orgs):
    """Attacker case: a client sends the X-Org-* headers a proxy would trust."""
    access = org_app.sign_in("bob@example.com")["access_token"]
    forged = {
        "X-Org-Id": two_orgs["acme"]["id"],
        "X-Org-Slug": "acme",
        "X-Org-Roles": "admin",
        "X-Org-Permissions": "*,documents:read",
    }
    denied = validate(
        org_app, access, headers=forged, query_string={"permission": "documents:read"}
    )
    assert denied.status_code == 403
    plain = validate(org_app, access, headers=forged)
    assert plain.status_code == 200
    # Empty values overwrite whatever the client sent, in a proxy that copies them.
    assert [plain.headers[name] for name in forged] == ["", "", "", ""]


def test_a_wildcard_role_grants_by_prefix(org_app, two_orgs):
    org_app.client.post("/roles", json={"name": "docs-admin", "permissions": ["documents:*"]})
    path = f"/organizations/{two_orgs['globex']['id']}/members/{two_orgs['ada']['id']}"
    org_app.client.patch(path, json={"roles": ["docs-admin"]})
    access = switch(
        org_app, org_app.sign_in("ada@example.com")["access_token"], two_orgs["globex"]["id"]
    ).json["access_token"]
    assert (
        validate(org_app, access, query_string={"permission": "documents:write"}).status_code == 200
    )
    assert validate(org_app, access, query_string={"permission": "billing:read"}).status_code == 403


def test_a_verified_user_of_an_org_domain_joins_by_switching(org_app):
    org = org_app.organization("acme", domains=["acme.com"])
    org_app.user("new@acme.com", is_verified=True)
    org_app.user("unverified@acme.com", is_verified=False)
    org_app.user("outsider@example.com", is_verified=True)
    joined = switch(org_app, org_app.sign_in("new@acme.com")["access_token"], org["id"])
    assert joined.status_code == 200 and claims_of(joined.json["access_token"])["org_roles"] == [
        "member"
    ]
    for email in ("unverified@acme.com", "outsider@example.com"):
        assert switch(org_app, org_app.sign_in(email)["access_token"], org["id"]).status_code == 403


def test_once_permissions_are_declared_a_role_may_name_only_declared_ones(org_app):
    free = org_app.client.post("/roles", json={"name": "legacy", "permissions": ["orders:read"]})
    assert free.status_code == 201  # no catalogue yet: free-form, as before
    org_app.client.post("/permissions", json={"name": "documents:read"})
    typo = org_app.client.post("/roles", json={"name": "reader", "permissions": ["documents:raed"]})
    assert typo.status_code == 422 and "Unknown permission" in typo.json["errors"]["permissions"][0]
    ok = org_app.client.post("/roles", json={"name": "reader", "permissions": ["documents:read"]})
    assert ok.status_code == 201
    declared = org_app.client.get("/permissions").json
    in_use = org_app.client.delete(f"/permissions/{declared[0]['id']}")
    assert in_use.status_code == 409
    assert org_app.client.delete(f"/roles/{ok.json['id']}").status_code == 204
    assert org_app.client.delete(f"/permissions/{declared[0]['id']}").status_code == 204


def guarded(app, permission: str):
    """A tiny WSGI reverse proxy, as nginx ``auth_request`` does: each request is first
    checked by ``/auth/validate?permission=...``; only a 200 reaches the sample app, with
    the X-Org-* headers of the answer replacing whatever the client sent."""
    from werkzeug.test import Client
    from werkzeug.wrappers import Request, Response

    authsvc = Client(app)

    def sample(environ, start_response):
        request = Request(environ)
        body = f"{request.headers.get('X-Org-Slug')}|{request.headers.get('X-Org-Permissions')}"
        return Response(body)(environ, start_response)

    def proxy(environ, start_response):
        request = Request(environ)
        verdict = authsvc.get(
            "/api/v1/auth/validate",
            query_string={"permission": permission},
            headers={"Authorization": request.headers.get("Authorization", "")},
        )
        if verdict.status_code != 200:
            return Response(status=verdict.status_code)(environ, start_response)
        for name in ("X-Org-Id", "X-Org-Slug", "X-Org-Roles", "X-Org-Permissions"):
            environ["HTTP_" + name.upper().replace("-", "_")] = verdict.headers[name]
        return sample(environ, start_response)

    return Client(proxy)


def test_a_proxy_lets_a_user_through_only_in_an_organization_granting_the_permission(
    org_app, two_orgs
):
    proxy = guarded(org_app.app, "documents:read")
    tokens = org_app.sign_in("ada@example.com")
    forged = {"X-Org-Slug": "acme", "X-Org-Permissions": "documents:read"}

    def fetch(access: str):
        headers = {"Authorization": f"Bearer {access}", **forged}
        return proxy.get("/documents/1", headers=headers)

    assert fetch(tokens["access_token"]).status_code == 403  # no organization yet
    in_acme = switch(org_app, tokens["access_token"], two_orgs["acme"]["id"]).json
    allowed = fetch(in_acme["access_token"])
    assert allowed.status_code == 200
    assert allowed.get_data(as_text=True) == "acme|documents:read,documents:write"
    in_globex = switch(org_app, in_acme["access_token"], two_orgs["globex"]["id"]).json
    assert fetch(in_globex["access_token"]).status_code == 403
    assert fetch("not-a-token").status_code == 401


def test_deleting_the_active_organization_drops_its_claims_at_the_next_refresh(org_app, two_orgs):
    ada = org_app.sign_in("ada@example.com")["access_token"]
    tokens = switch(org_app, ada, two_orgs["acme"]["id"]).json
    assert org_app.client.delete(f"/organizations/{two_orgs['acme']['id']}").status_code == 204
    refreshed = org_app.client.post(
        "/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200 and "org_id" not in claims_of(
        refreshed.json["access_token"]
    )
    mine = org_app.as_user("get", "/me/organizations", refreshed.json["access_token"]).json
    assert [row["slug"] for row in mine] == ["globex"]
