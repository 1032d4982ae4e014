"""Organizations and members through the API: CRUD, pagination, owners, scopes, events."""

from __future__ import annotations

import pytest


def event_types(client, prefix: str) -> list[str]:
    rows = client.get("/events", query_string={"limit": 200}).json["items"]
    return sorted(row["type"] for row in rows if row["type"].startswith(prefix))


def test_create_read_change_list_and_delete_an_organization(org_app):
    org = org_app.organization("acme", metadata={"plan": "team"}, domains=["Acme.COM."])
    assert org["slug"] == "acme" and org["domains"] == ["acme.com"]
    assert org["metadata"] == {"plan": "team"}
    changed = org_app.client.patch(f"/organizations/{org['id']}", json={"name": "Acme Inc"})
    assert changed.status_code == 200 and changed.json["name"] == "Acme Inc"
    assert org_app.client.get(f"/organizations/{org['id']}").json["name"] == "Acme Inc"
    org_app.organization("globex")
    found = org_app.client.get("/organizations", query_string={"q": "acm"}).json["items"]
    assert [row["slug"] for row in found] == ["acme"]
    assert org_app.client.delete(f"/organizations/{org['id']}").status_code == 204
    assert org_app.client.get(f"/organizations/{org['id']}").status_code == 404
    assert event_types(org_app.client, "organization.") == [
        "organization.created",
        "organization.created",
        "organization.deleted",
        "organization.updated",
    ]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"name": "Acme", "slug": "Not A Slug"}, 422, "slug"),
        ({"name": "   ", "slug": "blank"}, 422, "name"),
        ({"name": "Acme", "slug": "acme", "domains": ["not a domain"]}, 422, "domains"),
        ({"name": "Acme", "slug": "acme", "metadata": []}, 422, "metadata"),
        ({"name": "Acme", "slug": "acme", "extra": 1}, 422, None),
    ],
)
def test_bad_organization_input_is_a_problem_document(org_app, body, status, field):
    response = org_app.client.post("/organizations", json=body)
    assert response.status_code == status
    assert response.content_type == "application/problem+json"
    if field:
        assert field in response.json["errors"]


def test_a_slug_is_unique_in_the_tenant_but_not_across_tenants(org_app, other_org_app):
    org_app.organization("acme")
    again = org_app.client.post("/organizations", json={"name": "Other", "slug": "acme"})
    assert again.status_code == 409
    # Another tenant may use the slug: nothing tells it that this tenant has one.
    other_org_app.organization("acme")


def test_members_are_added_listed_by_page_and_filtered(org_app):
    org = org_app.organization("acme")
    users = [org_app.user(f"m{i}@example.com") for i in range(3)]
    for user in users:
        added = org_app.client.post(
            f"/organizations/{org['id']}/members", json={"user_id": user["id"]}
        )
        assert added.status_code == 201 and added.json["roles"] == ["member"]
    path = f"/organizations/{org['id']}/members"
    first = org_app.client.get(path, query_string={"limit": 2}).json
    rest = org_app.client.get(path, query_string={"cursor": first["next_cursor"]}).json
    listed = [row["user_id"] for row in first["items"] + rest["items"]]
    assert listed == [user["id"] for user in users] and rest["next_cursor"] is None
    assert first["items"][0]["email"] == "m0@example.com"
    org_app.client.patch(f"{path}/{users[1]['id']}", json={"roles": ["admin", "member"]})
    admins = org_app.client.get(path, query_string={"role": "admin"}).json["items"]
    assert [row["user_id"] for row in admins] == [users[1]["id"]]
    by_email = org_app.client.get(path, query_string={"email": "M2@Example.com"}).json["items"]
    assert [row["user_id"] for row in by_email] == [users[2]["id"]]
    assert org_app.client.get(path, query_string={"cursor": "garbage!"}).status_code == 422
    assert event_types(org_app.client, "membership.") == ["membership.created"] * 3 + [
        "membership.updated"
    ]


def test_bad_member_changes_are_refused(org_app, other_org_app):
    org = org_app.organization("acme")
    user = org_app.user("ada@example.com")
    path = f"/organizations/{org['id']}/members"
    unknown_role = org_app.client.post(path, json={"user_id": user["id"], "roles": ["wizard"]})
    assert unknown_role.status_code == 422 and "roles" in unknown_role.json["errors"]
    assert org_app.client.post(path, json={"user_id": user["id"]}).status_code == 201
    assert org_app.client.post(path, json={"user_id": user["id"]}).status_code == 409
    # Attacker case: another tenant's user id is simply not found here.
    stranger = other_org_app.user("stranger@example.com")
    assert org_app.client.post(path, json={"user_id": stranger["id"]}).status_code == 404
    assert org_app.client.get(f"{path}/{stranger['id']}").status_code == 405
    assert org_app.client.delete(f"{path}/{stranger['id']}").status_code == 404


def test_the_last_owner_can_be_neither_removed_nor_demoted(org_app):
    org = org_app.organization("acme")
    path = f"/organizations/{org['id']}/members"
    owner, other = org_app.user("owner@example.com"), org_app.user("other@example.com")
    org_app.client.post(path, json={"user_id": owner["id"], "roles": ["admin"]})
    org_app.client.post(path, json={"user_id": other["id"]})
    removed = org_app.client.delete(f"{path}/{owner['id']}")
    assert removed.status_code == 409 and "last owner" in removed.json["detail"]
    demoted = org_app.client.patch(f"{path}/{owner['id']}", json={"roles": ["member"]})
    assert demoted.status_code == 409
    # The refused changes left no trace: no event without its change.
    assert event_types(org_app.client, "membership.") == ["membership.created"] * 2
    org_app.client.patch(f"{path}/{other['id']}", json={"roles": ["admin"]})
    assert org_app.client.delete(f"{path}/{owner['id']}").status_code == 204


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/organizations", None),
        ("POST", "/organizations", {"name": "X", "slug": "x"}),
        ("GET", "/roles", None),
        ("POST", "/permissions", {"name": "documents:read"}),
    ],
)
def test_an_auth_only_key_cannot_call_organization_endpoints(
    api_client, tenant, method, path, body
):
    """Attacker case: the browser-safe ``auth`` key (public by design) manages nothing."""
    for scopes in (["auth"], ["users:read", "users:write"]):
        client = api_client(tenant, scopes)
        response = client.client.open(
            "/api/v1" + path, method=method, json=body, headers={"X-API-Key": client.key}
        )
        assert response.status_code == 403, scopes
        assert "orgs:" in response.json["detail"]


def test_orgs_read_reads_but_does_not_write(api_client, tenant):
    reader = api_client(tenant, ["orgs:read"])
    assert reader.get("/organizations").status_code == 200
    assert reader.post("/organizations", json={"name": "X", "slug": "x"}).status_code == 403
    writer = api_client(tenant, ["orgs:write", "orgs:read"])
    assert writer.post("/organizations", json={"name": "X", "slug": "x"}).status_code == 201


def test_webhooks_subscribe_to_organization_events_like_user_events(org_app):
    patterns = ["organization.*", "membership.created", "invitation.*"]
    body = {"url": "https://hooks.invalid/orgs", "event_types": patterns}
    created = org_app.client.post("/webhooks", json=body)
    assert created.status_code == 201 and created.json["event_types"] == sorted(patterns)
    org_app.client.patch(f"/webhooks/{created.json['id']}", json={"is_active": False})


def test_declaring_and_removing_a_permission_are_events_staged_with_the_change(org_app):
    """permission.created/deleted reach the outbox with the key as actor; a refused
    removal (a role still grants it) leaves neither a change nor an event."""
    client = org_app.client
    created = client.post("/permissions", json={"name": "documents:read", "description": "Read"})
    assert created.status_code == 201
    role = client.post("/roles", json={"name": "reader", "permissions": ["documents:read"]})
    assert role.status_code == 201
    refused = client.delete(f"/permissions/{created.json['id']}")
    assert refused.status_code == 409
    assert event_types(client, "permission.") == ["permission.created"]
    assert client.delete(f"/roles/{role.json['id']}").status_code == 204
    assert client.delete(f"/permissions/{created.json['id']}").status_code == 204
    rows = client.get("/events", query_string={"limit": 200}).json["items"]
    mine = [row for row in rows if row["type"].startswith("permission.")]
    assert sorted(row["type"] for row in mine) == ["permission.created", "permission.deleted"]
    for row in mine:
        assert row["data"]["permission"]["name"] == "documents:read"
        assert row["actor"].startswith("apikey:")
