"""Tenant isolation matrix: tenant B's admin key against tenant A's objects finds nothing.

Every tenant-owned endpoint is listed here; a new endpoint that is not in
``ENDPOINTS`` fails ``test_every_tenant_owned_route_is_in_the_matrix``.
"""

from __future__ import annotations

import re
import uuid

import pytest

from authsvc.applications.models import Consent
from authsvc.extensions import db
from authsvc.federation import codes, status
from authsvc.federation.models import UserIdentity
from authsvc.federation.service import get_provider
from authsvc.tenancy import tenant_context
from authsvc.users.service import get_user

# (method, path template, body) — {user}, {key}, {session}, {webhook}, {delivery},
# {domain}, {provider}, {identity}, {org}, {invitation}, {role} and {permission} are
# tenant A's ids (a domain's id is its name).
# {domain}, {provider}, {identity}, {application} and {grant} are tenant A's ids (a domain's id is its name).
# Paths under /me are called with tenant B's end-user token, the rest with B's admin key.
ENDPOINTS = [
    ("GET", "/users/{user}", None),
    ("PATCH", "/users/{user}", {"display_name": "pwned"}),
    ("DELETE", "/users/{user}", None),
    ("DELETE", "/users/{user}?erase=true", None),
    ("GET", "/users/{user}/export", None),
    ("GET", "/users/{user}/sessions", None),
    ("DELETE", "/users/{user}/sessions", None),
    ("POST", "/users/{user}/unlock", None),
    ("DELETE", "/api-keys/{key}", None),
    ("DELETE", "/me/sessions/{session}", None),
    ("GET", "/webhooks/{webhook}", None),
    ("PATCH", "/webhooks/{webhook}", {"description": "pwned"}),
    ("DELETE", "/webhooks/{webhook}", None),
    ("POST", "/webhooks/{webhook}/rotate-secret", None),
    ("POST", "/webhooks/{webhook}/test", None),
    ("GET", "/webhooks/{webhook}/deliveries", None),
    ("POST", "/webhooks/{webhook}/deliveries/{delivery}/retry", None),
    ("GET", "/webhooks/{webhook}/deliveries/{delivery}", None),
    ("POST", "/webhooks/{webhook}/replay", {"since": "2000-01-01T00:00:00Z"}),
    ("POST", "/tenant/domains/{domain}/verify", None),
    ("GET", "/identity-providers/{provider}", None),
    ("PATCH", "/identity-providers/{provider}", {"display_name": "pwned"}),
    ("DELETE", "/identity-providers/{provider}", None),
    ("DELETE", "/me/identities/{identity}", None),
    ("GET", "/organizations/{org}", None),
    ("PATCH", "/organizations/{org}", {"name": "pwned"}),
    ("DELETE", "/organizations/{org}", None),
    ("GET", "/organizations/{org}/members", None),
    ("POST", "/organizations/{org}/members", {"user_id": "{user}"}),
    ("PATCH", "/organizations/{org}/members/{user}", {"roles": ["member"]}),
    ("DELETE", "/organizations/{org}/members/{user}", None),
    ("GET", "/organizations/{org}/invitations", None),
    ("POST", "/organizations/{org}/invitations", {"email": "pwned@example.com"}),
    ("DELETE", "/organizations/{org}/invitations/{invitation}", None),
    ("GET", "/roles/{role}", None),
    ("PATCH", "/roles/{role}", {"permissions": ["*"]}),
    ("DELETE", "/roles/{role}", None),
    ("DELETE", "/permissions/{permission}", None),
    ("GET", "/applications/{application}", None),
    ("PATCH", "/applications/{application}", {"name": "pwned"}),
    ("DELETE", "/applications/{application}", None),
    ("POST", "/applications/{application}/rotate-secret", None),
    ("DELETE", "/me/grants/{grant}", None),
]
LISTINGS = [
    "/users",
    "/api-keys",
    "/webhooks",
    "/events",
    "/identity-providers",
    "/organizations",
    "/roles",
    "/permissions",
    "/applications",
]


PASSWORD = "isolation matrix password"


def sign_in(client, email: str) -> str:
    response = client.post("/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.json
    return response.json["access_token"]


@pytest.fixture(scope="module")
def victim(app, api_client, make_tenant, make_user):
    """Tenant A with a signed-in user, a second API key, a webhook, a delivery, a domain,
    an identity provider with a link to the user, and an application the user allowed.

    One tenant A for the module (per backend): every attack below must leave it as it
    was, so sharing it also proves that no attack changed it for the ones after.
    """
    tenant = make_tenant()
    admin = api_client(tenant, ["admin"])
    domain = f"login.{tenant[1]}.example.com"
    assert admin.patch("/tenant", json={"domains": [domain]}).status_code == 200
    user = make_user(tenant, email="victim@example.com", username="victim", password=PASSWORD)
    token = sign_in(admin, user["email"])
    session = admin.get(f"/users/{user['id']}/sessions").json[0]["id"]
    key = admin.post("/api-keys", json={"name": "victim-key", "scopes": ["auth"]}).json
    hook = admin.post("/webhooks", json={"url": "https://hooks.invalid/a"}).json
    delivery = admin.post(f"/webhooks/{hook['id']}/test").json
    # Paused, so no worker ever tries to send the queued test to this made-up host.
    admin.patch(f"/webhooks/{hook['id']}", json={"is_active": False})
    provider = {"kind": "google", "display_name": "Google", "client_id": "victim-client"}
    provider = admin.post("/identity-providers", json=provider).json
    application = {"name": "Victim App", "redirect_uris": ["https://app.invalid/cb"]}
    application = admin.post("/applications", json=application).json
    # A link as a federated sign-in leaves it (that flow is proven in tests/federation),
    # and a grant as the consent page leaves it (tests/provider).
    with app.app_context(), tenant_context(tenant[0]):
        ids = {"provider_id": uuid.UUID(provider["id"]), "user_id": uuid.UUID(user["id"])}
        link = UserIdentity(**ids, subject="victim-sub")
        grant = Consent(
            user_id=ids["user_id"], application_id=uuid.UUID(application["id"]), scopes=["openid"]
        )
        db.session.add_all([link, grant])
        # A status row as a failed sign-in leaves it (tests/federation/test_provider_status.py).
        status.note_failure(get_provider(link.provider_id), ValueError("victim's provider"))
        db.session.commit()
        identity, grant_id = str(link.id), str(grant.id)
    permission = admin.post("/permissions", json={"name": "documents:read"}).json
    role = admin.post("/roles", json={"name": "editor", "permissions": ["documents:read"]}).json
    org = admin.post("/organizations", json={"name": "Victim Org", "slug": "victim-org"}).json
    body = {"user_id": user["id"], "roles": ["editor"]}
    assert admin.post(f"/organizations/{org['id']}/members", json=body).status_code == 201
    invited = {"email": "invitee@example.com"}
    invitation = admin.post(f"/organizations/{org['id']}/invitations", json=invited).json
    return {
        "tenant": tenant,
        "client": admin,
        "user": user["id"],
        "key": key["id"],
        "session": session,
        "email": user["email"],
        "token": token,
        "webhook": hook["id"],
        "delivery": delivery["id"],
        "domain": domain,
        "provider": provider["id"],
        "identity": identity,
        "org": org["id"],
        "invitation": invitation["id"],
        "role": role["id"],
        "permission": permission["id"],
        "application": application["id"],
        "grant": grant_id,
    }


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_tenant_b_cannot_reach_tenant_a_objects(
    victim, api_client, other_tenant, method, path, body
):
    """Tenant B's admin key gets 404 (not 403) for each of tenant A's objects, and changes nothing."""
    attacker = api_client(other_tenant, ["admin"])
    headers = {"X-API-Key": attacker.key}
    if path.startswith("/me"):
        intruder = attacker.post("/users", json={"email": "b@example.com", "password": PASSWORD})
        assert intruder.status_code == 201
        headers["Authorization"] = "Bearer " + sign_in(attacker, "b@example.com")
    response = attacker.client.open(
        "/api/v1" + path.format(**victim), method=method, json=body, headers=headers
    )
    assert response.status_code == 404
    assert response.json["title"] == "Not found"
    # Tenant A still sees its objects unchanged (read with a fresh key of A: the module's
    # many calls would spend one key's rate limit).
    admin = api_client(victim["tenant"], ["admin"])
    assert admin.get(f"/users/{victim['user']}").json["display_name"] is None
    assert victim["key"] in [row["id"] for row in admin.get("/api-keys").json]
    sessions = admin.get(f"/users/{victim['user']}/sessions").json
    assert victim["session"] in [row["id"] for row in sessions]
    hook = admin.get(f"/webhooks/{victim['webhook']}").json
    assert hook["description"] == "" and hook["previous_secret_expires_at"] is None
    assert hook["is_active"] is False
    assert len(admin.get(f"/webhooks/{victim['webhook']}/deliveries").json["items"]) == 1
    assert [(d["domain"], d["status"]) for d in admin.get("/tenant").json["domain_states"]] == [
        (victim["domain"], "pending")
    ]
    provider = admin.get(f"/identity-providers/{victim['provider']}").json
    assert provider["display_name"] == "Google"
    bearer = {"Authorization": f"Bearer {victim['token']}"}
    links = admin.get("/me/identities", headers=bearer).json
    assert [link["id"] for link in links] == [victim["identity"]]
    org_path = f"/organizations/{victim['org']}"
    assert admin.get(org_path).json["name"] == "Victim Org"
    members = admin.get(f"{org_path}/members").json["items"]
    assert [(m["user_id"], m["roles"]) for m in members] == [(victim["user"], ["editor"])]
    invitations = admin.get(f"{org_path}/invitations").json["items"]
    assert [(i["id"], i["state"]) for i in invitations] == [(victim["invitation"], "pending")]
    assert admin.get(f"/roles/{victim['role']}").json["permissions"] == ["documents:read"]
    assert [p["id"] for p in admin.get("/permissions").json] == [victim["permission"]]
    application = admin.get(f"/applications/{victim['application']}").json
    assert application["name"] == "Victim App"
    grants = admin.get("/me/grants", headers=bearer).json
    assert [grant["id"] for grant in grants] == [victim["grant"]]


@pytest.mark.parametrize("path", LISTINGS)
def test_tenant_b_listings_never_show_tenant_a_rows(victim, api_client, other_tenant, path):
    attacker = api_client(other_tenant, ["admin"])
    body = attacker.get(path).json
    rows = body["items"] if isinstance(body, dict) else body
    ids = {row["id"] for row in rows}
    assert not ids & {
        victim[name] for name in ("user", "key", "webhook", "provider", "org", "role", "permission")
    }
    mine = {victim["user"], victim["key"], victim["webhook"], victim["provider"]}
    assert not ids & {*mine, victim["application"]}
    # No event of tenant A (its user's creation, its test event) shows up either.
    assert all(victim["email"] not in str(row.get("data")) for row in rows)


def test_tenant_b_filters_cannot_probe_tenant_a_emails(victim, api_client, other_tenant):
    attacker = api_client(other_tenant, ["admin"])
    assert attacker.get("/users", query_string={"email": victim["email"]}).json["items"] == []
    assert attacker.get("/users", query_string={"q": "victim"}).json["items"] == []
    # Creating the same email in B succeeds: nothing reveals that A has it.
    assert attacker.post("/users", json={"email": victim["email"]}).status_code == 201


def test_tenant_endpoint_shows_and_changes_only_the_keys_tenant(victim, api_client, other_tenant):
    attacker = api_client(other_tenant, ["admin"])
    assert attacker.get("/tenant").json["slug"] == other_tenant[1]
    assert attacker.get("/tenant").json["domain_states"] == []
    attacker.patch("/tenant", json={"name": "Renamed"})
    assert api_client(victim["tenant"], ["admin"]).get("/tenant").json["name"] != "Renamed"


def test_tenant_b_token_cannot_be_used_with_tenant_a_key(victim, api_client, other_tenant):
    """A token names its tenant; a key of another tenant beside it is refused."""
    attacker = api_client(other_tenant, ["admin"])
    response = attacker.get("/me", headers={"Authorization": f"Bearer {victim['token']}"})
    assert response.status_code == 401


def test_tenant_b_user_cannot_switch_to_or_join_tenant_a_organizations(
    victim, api_client, other_tenant
):
    """Tenant B's end user names A's organization (404), lists only B's, and cannot
    accept an invitation of A (its token is looked up in B only)."""
    attacker = api_client(other_tenant, ["admin"])
    attacker.post("/users", json={"email": victim["email"], "password": PASSWORD})
    bearer = {"Authorization": "Bearer " + sign_in(attacker, victim["email"])}
    switched = attacker.post(
        "/me/organization", json={"organization_id": victim["org"]}, headers=bearer
    )
    assert switched.status_code == 404
    assert attacker.get("/me/organizations", headers=bearer).json == []
    accepted = attacker.post("/invitations/accept", json={"token": "x" * 43}, headers=bearer)
    assert accepted.status_code == 422
    # Tenant A's own user, with A's key, still sees the membership.
    mine = api_client(victim["tenant"], ["admin"]).get(
        "/me/organizations", headers={"Authorization": f"Bearer {victim['token']}"}
    )
    assert [row["id"] for row in mine.json] == [victim["org"]]


def test_tenant_b_key_cannot_exchange_tenant_a_sign_in_code(app, victim, api_client, other_tenant):
    """B's key gets the answer an unknown code gets, and A's code stays unspent."""
    # A one-time code as a return_to sign-in leaves it (tests/federation/test_exchange.py).
    with app.app_context(), tenant_context(victim["tenant"][0]):
        user, provider = get_user(victim["user"]), get_provider(victim["provider"])
        code = codes.issue_code(user, provider)
        db.session.commit()
    attacker = api_client(other_tenant, ["auth", "admin"])
    stolen = attacker.post("/auth/exchange", json={"code": code})
    unknown = attacker.post("/auth/exchange", json={"code": "unknown-code"})
    assert stolen.status_code == unknown.status_code == 422
    assert stolen.json == unknown.json
    assert attacker.get("/events", query_string={"type": "session.created"}).json["items"] == []
    owner = api_client(victim["tenant"], ["auth"]).post("/auth/exchange", json={"code": code})
    assert owner.status_code == 200 and owner.json["access_token"]


def test_tenant_b_provider_status_never_shows_tenant_a_providers(victim, api_client, other_tenant):
    """The status listing is keyed by provider, not id: checked here rather than in LISTINGS."""
    attacker = api_client(other_tenant, ["admin"])
    assert attacker.get("/identity-providers/status").json == []
    mine = victim["client"].get("/identity-providers/status").json
    assert [(row["provider_id"], row["state"]) for row in mine] == [(victim["provider"], "failing")]


@pytest.mark.parametrize("path", ["/swagger.json", "/openapi.json"])
def test_public_api_documents_show_no_tenant_data(victim, api_client, other_tenant, path):
    """The API documents are public: the same for anyone, with nothing of any tenant in them."""
    anonymous = victim["client"].client.get("/api/v1" + path)
    assert anonymous.status_code == 200
    with_key = api_client(other_tenant, ["admin"]).get(path)
    assert with_key.json == anonymous.json
    text = anonymous.get_data(as_text=True)
    secrets = [victim[k] for k in ("user", "key", "email", "domain", "webhook", "provider")]
    assert not [value for value in secrets if value in text]
    assert victim["client"].slug not in text and other_tenant[1] not in text


def test_every_tenant_owned_route_is_in_the_matrix(app):
    """A new route with an id parameter must be added to ENDPOINTS above."""
    covered = {(method, re.sub(r"\{\w+\}", "{}", path)) for method, path, _ in ENDPOINTS}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "<" not in rule.rule:
            continue
        path = re.sub(r"<[^>]+>", "{}", rule.rule.removeprefix("/api/v1"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in covered, f"{method} {rule.rule} missing from ENDPOINTS"
