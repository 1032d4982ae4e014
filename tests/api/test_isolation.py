"""Tenant isolation matrix: tenant B's admin key against tenant A's objects finds nothing.

Every tenant-owned endpoint is listed here; a new endpoint that is not in
``ENDPOINTS`` fails ``test_every_tenant_owned_route_is_in_the_matrix``.
"""

from __future__ import annotations

import pytest

# (method, path template, body) — {user} and {key} are tenant A's ids.
ENDPOINTS = [
    ("GET", "/users/{user}", None),
    ("PATCH", "/users/{user}", {"display_name": "pwned"}),
    ("DELETE", "/users/{user}", None),
    ("DELETE", "/api-keys/{key}", None),
]
LISTINGS = ["/users", "/api-keys"]


@pytest.fixture
def victim(api_client, tenant, make_user):
    """Tenant A with a user and a second API key."""
    admin = api_client(tenant, ["admin"])
    user = make_user(tenant, email="victim@example.com", username="victim")
    key = admin.post("/api-keys", json={"name": "victim-key", "scopes": ["auth"]}).json
    return {"client": admin, "user": user["id"], "key": key["id"], "email": user["email"]}


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
def test_tenant_b_cannot_reach_tenant_a_objects(
    victim, api_client, other_tenant, method, path, body
):
    """Tenant B's admin key gets 404 (not 403) for each of tenant A's objects, and changes nothing."""
    attacker = api_client(other_tenant, ["admin"])
    response = attacker.client.open(
        "/api/v1" + path.format(**victim),
        method=method,
        json=body,
        headers={"X-API-Key": attacker.key},
    )
    assert response.status_code == 404
    assert response.json["title"] == "Not found"
    # Tenant A still sees its objects unchanged.
    user = victim["client"].get(f"/users/{victim['user']}").json
    assert user["display_name"] is None
    assert victim["key"] in [row["id"] for row in victim["client"].get("/api-keys").json]


@pytest.mark.parametrize("path", LISTINGS)
def test_tenant_b_listings_never_show_tenant_a_rows(victim, api_client, other_tenant, path):
    attacker = api_client(other_tenant, ["admin"])
    body = attacker.get(path).json
    rows = body["items"] if isinstance(body, dict) else body
    ids = {row["id"] for row in rows}
    assert victim["user"] not in ids and victim["key"] not in ids


def test_tenant_b_filters_cannot_probe_tenant_a_emails(victim, api_client, other_tenant):
    attacker = api_client(other_tenant, ["admin"])
    assert attacker.get("/users", query_string={"email": victim["email"]}).json["items"] == []
    assert attacker.get("/users", query_string={"q": "victim"}).json["items"] == []
    # Creating the same email in B succeeds: nothing reveals that A has it.
    assert attacker.post("/users", json={"email": victim["email"]}).status_code == 201


def test_tenant_endpoint_shows_and_changes_only_the_keys_tenant(
    victim, api_client, tenant, other_tenant
):
    attacker = api_client(other_tenant, ["admin"])
    assert attacker.get("/tenant").json["slug"] == other_tenant[1]
    attacker.patch("/tenant", json={"name": "Renamed"})
    assert victim["client"].get("/tenant").json["name"] != "Renamed"


def test_every_tenant_owned_route_is_in_the_matrix(app):
    """A new route with an id parameter must be added to ENDPOINTS above."""
    covered = {(method, path.split("{")[0]) for method, path, _ in ENDPOINTS}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or "<" not in rule.rule:
            continue
        prefix = rule.rule.removeprefix("/api/v1").split("<")[0]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, prefix) in covered, f"{method} {rule.rule} missing from ENDPOINTS"
