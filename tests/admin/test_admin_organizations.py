"""The panel's organization pages: list, detail (members, roles, invitations, domains), a
user's organizations, and another tenant's organization (404)."""

from __future__ import annotations


def test_organizations_list_detail_and_the_users_organizations(
    admin_client, api_client, tenant, make_user
):
    key = api_client(tenant, ["orgs:read", "orgs:write"])
    client = admin_client(tenant)
    assert "No organizations" in client.get("/admin/organizations").text
    org = key.post(
        "/organizations", json={"name": "Acme <b>", "slug": "acme", "domains": ["acme.com"]}
    ).json
    user = make_user(tenant, email="ada@example.com")
    key.post(
        f"/organizations/{org['id']}/members", json={"user_id": user["id"], "roles": ["admin"]}
    )
    key.post(f"/organizations/{org['id']}/invitations", json={"email": "bob@example.com"})
    listing = client.get("/admin/organizations").text
    assert "Acme &lt;b&gt;" in listing and "<b>" not in listing.split("<main", 1)[-1]
    assert "acme.com" in listing
    assert "acme" in client.get("/admin/organizations", query_string={"q": "ac"}).text
    detail = client.get(f"/admin/organizations/{org['id']}")
    assert detail.status_code == 200
    members = detail.text.split('data-testid="members"')[1].split("</table>")[0]
    assert "ada@example.com" in members and ">admin<" in members
    invitations = detail.text.split('data-testid="invitations"')[1].split("</table>")[0]
    assert "bob@example.com" in invitations and "pending" in invitations
    user_page = client.get(f"/admin/users/{user['id']}/roles").text
    organizations = user_page.split('data-testid="organizations"')[1].split("</p>")[0]
    assert "Acme &lt;b&gt;" in organizations and ">admin<" in organizations


def test_another_tenants_organization_is_not_found_in_the_panel(
    admin_client, api_client, tenant, other_tenant
):
    foreign = (
        api_client(other_tenant, ["orgs:write"])
        .post("/organizations", json={"name": "Foreign", "slug": "foreign"})
        .json
    )
    client = admin_client(tenant)
    assert client.get(f"/admin/organizations/{foreign['id']}").status_code == 404
    assert "Foreign" not in client.get("/admin/organizations").text
