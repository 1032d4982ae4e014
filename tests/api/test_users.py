"""Users through the REST API: create, read, list, update, delete."""

from __future__ import annotations

import sqlalchemy as sa

from authsvc.config import load
from authsvc.extensions import db
from authsvc.tenancy import tenant_context


def test_create_user_returns_it_without_any_password_hash(api_client, tenant):
    client = api_client(tenant, ["users:write"])
    response = client.post(
        "/users",
        json={
            "email": "Ada@Example.com",
            "username": "ada",
            "password": "correct horse battery staple",
            "display_name": "Ada",
            "metadata": {"plan": "pro"},
            "external_user_id": "cust_1",
        },
    )
    assert response.status_code == 201
    user = response.json
    assert user["email"] == "Ada@Example.com"
    assert user["roles"] == ["member"]
    assert user["metadata"] == {"plan": "pro"}
    assert "password" not in str(user) and "argon2" not in str(user)


def test_password_is_stored_as_argon2id(app, api_client, tenant):
    client = api_client(tenant, ["users:write"])
    user = client.post("/users", json={"email": "h@example.com", "password": "a long password"})
    with app.app_context(), tenant_context(tenant[0]):
        stored = db.session.execute(
            sa.text("SELECT password_hash FROM users WHERE email = 'h@example.com'")
        ).scalar_one()
    # With the app's parameters: the tests' cheap ones (tests/conftest.py's make_app).
    config = app.config
    params = f"m={config['ARGON2_MEMORY_COST']},t={config['ARGON2_TIME_COST']},p=1"
    assert stored.startswith(f"$argon2id$v=19${params}$")
    assert user.status_code == 201


def test_the_default_argon2id_parameters_are_owasps_minimum():
    """Unless AUTHSVC_ARGON2_* say otherwise: 19 MiB, two passes, one lane (OWASP)."""
    settings = load(environ={})
    assert (settings["ARGON2_MEMORY_COST"], settings["ARGON2_TIME_COST"]) == (19456, 2)
    assert settings["ARGON2_PARALLELISM"] == 1


def test_email_is_unique_per_tenant_case_insensitively(api_client, tenant, other_tenant):
    client = api_client(tenant, ["users:write"])
    assert client.post("/users", json={"email": "dup@example.com"}).status_code == 201
    again = client.post("/users", json={"email": "DUP@example.com"})
    assert again.status_code == 409
    assert again.json["errors"] == {"email": ["Another user has this email."]}
    # Another tenant may have the same email: uniqueness is per tenant.
    other = api_client(other_tenant, ["users:write"])
    assert other.post("/users", json={"email": "dup@example.com"}).status_code == 201


def test_username_is_unique_per_tenant(api_client, tenant):
    client = api_client(tenant, ["users:write"])
    assert client.post("/users", json={"email": "a@x.io", "username": "Neo"}).status_code == 201
    clash = client.post("/users", json={"email": "b@x.io", "username": "neo"})
    assert clash.status_code == 409 and "username" in clash.json["errors"]


def test_get_patch_delete_roundtrip(api_client, tenant, make_user):
    client = api_client(tenant, ["users:read", "users:write"])
    user = make_user(tenant)
    assert client.get(f"/users/{user['id']}").json["email"] == user["email"]

    patched = client.patch(
        f"/users/{user['id']}",
        json={"is_active": False, "is_verified": True, "roles": ["admin", "member"]},
    )
    assert patched.status_code == 200
    assert patched.json["is_active"] is False
    assert patched.json["is_verified"] is True
    assert patched.json["roles"] == ["admin", "member"]

    assert client.delete(f"/users/{user['id']}").status_code == 204
    assert client.get(f"/users/{user['id']}").status_code == 404


def test_patch_with_unknown_role_changes_nothing(api_client, tenant, make_user):
    client = api_client(tenant, ["users:read", "users:write"])
    user = make_user(tenant)
    response = client.patch(
        f"/users/{user['id']}", json={"display_name": "Changed", "roles": ["wizard"]}
    )
    assert response.status_code == 422
    assert response.json["errors"] == {"roles": ["Unknown role: wizard."]}
    assert client.get(f"/users/{user['id']}").json["display_name"] is None


def test_list_pages_through_every_user_once_in_a_stable_order(api_client, tenant, make_user):
    client = api_client(tenant, ["users:read"])
    created = [make_user(tenant)["id"] for _ in range(7)]
    seen, cursor = [], None
    while True:
        query = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/users", query_string=query).json
        seen += [user["id"] for user in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created


def test_list_filters_and_prefix_search(api_client, tenant, make_user):
    client = api_client(tenant, ["users:read"])
    make_user(tenant, email="alice@example.com", username="alice", is_verified=True)
    make_user(tenant, email="bob@example.com", username="bob", is_active=False)
    make_user(tenant, email="alfred@example.com", display_name="Alfred P")

    def emails(**query):
        items = client.get("/users", query_string=query).json["items"]
        return sorted(user["email"] for user in items)

    assert emails(q="al") == ["alfred@example.com", "alice@example.com"]
    assert emails(email="ALICE@example.com") == ["alice@example.com"]
    assert emails(username="bob") == ["bob@example.com"]
    assert emails(is_verified="true") == ["alice@example.com"]
    assert emails(is_active="false") == ["bob@example.com"]
    assert emails(q="100%_") == []


def test_list_rejects_bad_query_parameters(api_client, tenant):
    client = api_client(tenant, ["users:read"])
    response = client.get("/users", query_string={"limit": "many", "colour": "red"})
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"limit", "colour"}
    assert client.get("/users", query_string={"limit": 0}).status_code == 422
    assert client.get("/users", query_string={"cursor": "???"}).status_code == 422


def test_user_payload_has_exactly_the_documented_fields(app, api_client, tenant, make_user):
    """The hand-built serializer and the OpenAPI ``User`` model never drift apart."""
    from authsvc.users.schemas import user_out

    user = make_user(tenant)
    assert set(user) == set(user_out)
    listed = api_client(tenant, ["users:read"]).get("/users").json["items"][0]
    assert set(listed) == set(user_out)


def test_reads_show_a_user_exactly_as_writes_do(app, api_client, tenant):
    """Reads select columns; writes serialise objects: the API must not tell them apart."""
    client = api_client(tenant, ["users:read", "users:write"])
    created = client.post(
        "/users",
        json={
            "email": "Shape@Example.com",
            "username": "shape",
            "display_name": "Shape",
            "password": "correct horse battery staple",
            "roles": ["admin", "member"],
            "metadata": {"plan": "pro", "seats": 3},
            "external_user_id": "ext-1",
        },
    )
    assert created.status_code == 201, created.json
    bare = client.post("/users", json={"email": "bare@example.com"}).json
    changed = client.patch(f"/users/{bare['id']}", json={"roles": []}).json
    assert changed["roles"] == []
    for written in (created.json, changed):
        assert written["created_at"].endswith("+00:00")  # aware, on either backend
        assert client.get(f"/users/{written['id']}").json == written
        listed = client.get("/users", query_string={"email": written["email"]}).json["items"]
        assert listed == [written]


def test_does_creating_a_user_through_the_api_apply_the_tenants_password_policy(
    app, api_client, make_tenant
):
    """Issue 11.15: `password` and `12345678` were accepted where the minimum is 10."""
    from tests.conftest import unique

    tenant = make_tenant(settings={"auth": {"password_min_length": 10}})
    client = api_client(tenant, ["users:write", "users:read"])
    for weak in ("password", "12345678"):
        email = f"{unique('weak')}@example.com"
        response = client.post("/users", json={"email": email, "password": weak})
        assert response.status_code == 422, response.json
        assert response.headers["Content-Type"] == "application/problem+json"
        assert list(response.json["errors"]) == ["password"]
    assert client.get("/users").json["items"] == [], "nothing is written"
    fine = client.post("/users", json={"email": "ok@example.com", "password": "ten chars!"})
    assert fine.status_code == 201
