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


def _events(key, prefix: str) -> list[tuple[str, str]]:
    rows = key.get("/events", query_string={"limit": 200}).json["items"]
    return sorted((row["type"], row["actor"]) for row in rows if row["type"].startswith(prefix))


def test_an_admin_creates_edits_and_deletes_an_organization(admin_client, api_client, tenant):
    key = api_client(tenant, ["admin"])
    client = admin_client(tenant)
    assert client.get("/admin/organizations/new").status_code == 200
    bad = client.post("/admin/organizations/new", {"name": "Acme", "slug": "Not A Slug!"})
    assert bad.status_code == 422 and "lower-case letters" in bad.text
    assert key.get("/organizations").json["items"] == []  # nothing half-written
    made = client.post(
        "/admin/organizations/new", {"name": "Acme", "slug": "acme", "domains": "Acme.com\n"}
    )
    assert made.status_code == 302
    (org,) = key.get("/organizations").json["items"]
    assert org["domains"] == ["acme.com"] and made.headers["Location"].endswith(org["id"])
    taken = client.post("/admin/organizations/new", {"name": "Other", "slug": "acme"})
    assert taken.status_code == 422 and "Taken." in taken.text
    edit = f"/admin/organizations/{org['id']}/edit"
    assert "acme.com" in client.get(edit).text
    assert client.post(edit, {"name": "Acme Inc", "slug": "acme", "domains": ""}).status_code == 302
    assert key.get(f"/organizations/{org['id']}").json["name"] == "Acme Inc"
    delete = f"/admin/organizations/{org['id']}/delete"
    assert client.post(delete, {}).status_code == 400  # the confirmation is required
    assert client.post(delete, {"confirm": "y"}).status_code == 302
    assert key.get(f"/organizations/{org['id']}").status_code == 404
    actor = f"admin:{client.email}"
    assert _events(key, "organization.") == [
        ("organization.created", actor),
        ("organization.deleted", actor),
        ("organization.updated", actor),
    ]


def test_members_are_added_and_changed_in_the_panel_and_the_last_owner_stays(
    admin_client, api_client, tenant, make_user
):
    key = api_client(tenant, ["admin"])
    client = admin_client(tenant)
    org = key.post("/organizations", json={"name": "Acme", "slug": "acme"}).json
    ada, bob = (
        make_user(tenant, email="ada@example.com"),
        make_user(tenant, email="bob@example.com"),
    )
    add = f"/admin/organizations/{org['id']}/members/new"
    unknown = client.post(add, {"email": "nobody@example.com", "roles": "member"})
    assert unknown.status_code == 422 and "No user of this tenant" in unknown.text
    assert client.post(add, {"email": "ADA@example.com", "roles": "admin"}).status_code == 302
    again = client.post(add, {"email": "ada@example.com", "roles": "member"})
    assert again.status_code == 422 and "Already a member." in again.text
    ada_roles = f"/admin/organizations/{org['id']}/members/{ada['id']}"
    demoted = client.post(ada_roles, {"roles": "member"})
    assert demoted.status_code == 422 and "Make another member an owner first." in demoted.text
    removed = client.post(f"{ada_roles}/remove", {"confirm": "y"})
    assert removed.status_code == 409 and "last owner" in removed.text
    members = key.get(f"/organizations/{org['id']}/members").json["items"]
    assert [(m["user_id"], m["roles"]) for m in members] == [(ada["id"], ["admin"])]
    assert client.post(add, {"email": "bob@example.com", "roles": "admin"}).status_code == 302
    assert client.post(ada_roles, {"roles": "member"}).status_code == 302
    assert client.post(f"{ada_roles}/remove", {"confirm": "y"}).status_code == 302
    members = key.get(f"/organizations/{org['id']}/members").json["items"]
    assert [(m["user_id"], m["roles"]) for m in members] == [(bob["id"], ["admin"])]
    assert [kind for kind, _actor in _events(key, "membership.")] == [
        "membership.created",
        "membership.created",
        "membership.deleted",
        "membership.updated",
    ]


def test_an_admin_sends_and_revokes_an_invitation(admin_client, api_client, tenant, make_user):
    key = api_client(tenant, ["admin"])
    client = admin_client(tenant)
    org = key.post("/organizations", json={"name": "Acme", "slug": "acme"}).json
    make_user(tenant, email="member@example.com")
    invite = f"/admin/organizations/{org['id']}/invitations/new"
    bad_role = client.post(invite, {"email": "carol@example.com", "roles": "owner"})
    assert bad_role.status_code == 422  # not a choice the tenant has
    assert client.post(invite, {"email": "carol@example.com", "roles": "member"}).status_code == 302
    twice = client.post(invite, {"email": "Carol@example.com", "roles": "member"})
    assert twice.status_code == 409 or twice.status_code == 422
    (invitation,) = key.get(f"/organizations/{org['id']}/invitations").json["items"]
    assert invitation["email"] == "carol@example.com" and invitation["state"] == "pending"
    revoke = f"/admin/organizations/{org['id']}/invitations/{invitation['id']}/revoke"
    assert "Revoke the invitation" in client.get(revoke).text
    assert client.post(revoke, {"confirm": "y"}).status_code == 302
    (invitation,) = key.get(f"/organizations/{org['id']}/invitations").json["items"]
    assert invitation["state"] == "revoked"
    detail = client.get(f"/admin/organizations/{org['id']}").text
    assert revoke not in detail  # only pending invitations offer a revoke
    actor = f"admin:{client.email}"
    assert _events(key, "invitation.") == [
        ("invitation.created", actor),
        ("invitation.revoked", actor),
    ]


def test_an_admin_of_a_cannot_act_on_bs_organization_by_id(
    admin_client, api_client, tenant, other_tenant, make_user
):
    """Attacker case: tenant A's admin posts at B's organization, member and invitation ids."""
    b_key = api_client(other_tenant, ["orgs:read", "orgs:write"])
    b_org = b_key.post("/organizations", json={"name": "Foreign", "slug": "foreign"}).json
    b_user = make_user(other_tenant, email="b-owner@example.com")
    b_key.post(f"/organizations/{b_org['id']}/members", json={"user_id": b_user["id"]})
    b_invitation = b_key.post(
        f"/organizations/{b_org['id']}/invitations", json={"email": "x@example.com"}
    ).json
    a_key = api_client(tenant, ["orgs:write"])
    a_org = a_key.post("/organizations", json={"name": "Mine", "slug": "mine"}).json
    client = admin_client(tenant)
    base = f"/admin/organizations/{b_org['id']}"
    posts = [
        (f"{base}/edit", {"name": "Pwned", "slug": "foreign"}),
        (f"{base}/delete", {"confirm": "y"}),
        (f"{base}/members/new", {"email": "b-owner@example.com", "roles": "admin"}),
        (f"{base}/members/{b_user['id']}", {"roles": "admin"}),
        (f"{base}/members/{b_user['id']}/remove", {"confirm": "y"}),
        (f"{base}/invitations/new", {"email": "y@example.com", "roles": "member"}),
        (f"{base}/invitations/{b_invitation['id']}/revoke", {"confirm": "y"}),
        # A's own organization with B's member and invitation ids.
        (f"/admin/organizations/{a_org['id']}/members/{b_user['id']}/remove", {"confirm": "y"}),
        (f"/admin/organizations/{a_org['id']}/invitations/{b_invitation['id']}/revoke", {}),
    ]
    for url, data in posts:
        assert client.get(url).status_code == 404, url
        assert client.post(url, data).status_code == 404, url
    assert b_key.get(f"/organizations/{b_org['id']}").json["name"] == "Foreign"
    members = b_key.get(f"/organizations/{b_org['id']}/members").json["items"]
    assert [m["user_id"] for m in members] == [b_user["id"]]
    (invitation,) = b_key.get(f"/organizations/{b_org['id']}/invitations").json["items"]
    assert invitation["state"] == "pending"


def test_organization_forms_refuse_a_missing_or_forged_csrf_token(
    admin_client, api_client, tenant, make_user
):
    key = api_client(tenant, ["admin"])
    org = key.post("/organizations", json={"name": "Acme", "slug": "acme"}).json
    user = make_user(tenant, email="ada@example.com")
    key.post(f"/organizations/{org['id']}/members", json={"user_id": user["id"]})
    client = admin_client(tenant)
    base = f"/admin/organizations/{org['id']}"
    posts = [
        ("/admin/organizations/new", {"name": "X", "slug": "x"}),
        (f"{base}/edit", {"name": "X", "slug": "acme"}),
        (f"{base}/delete", {"confirm": "y"}),
        (f"{base}/members/new", {"email": "ada@example.com"}),
        (f"{base}/members/{user['id']}", {"roles": "admin"}),
        (f"{base}/members/{user['id']}/remove", {"confirm": "y"}),
        (f"{base}/invitations/new", {"email": "z@example.com", "roles": "member"}),
    ]
    for url, data in posts:
        for token in ({}, {"csrf_token": "forged"}):
            response = client.post(url, {**data, **token}, csrf=False)
            assert response.status_code in (400, 422), url
            assert "CSRF" in response.text, url
    assert key.get(f"/organizations/{org['id']}").json["name"] == "Acme"
    assert len(key.get(f"/organizations/{org['id']}/members").json["items"]) == 1
    assert key.get("/organizations").json["items"][0]["slug"] == "acme"
