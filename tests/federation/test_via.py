"""Events say how a user came and signed in, whatever the method (``via``)."""

from __future__ import annotations

from tests.conftest import unique

PASSWORD = "a long enough password for via"


def test_do_sign_up_admin_creation_and_password_sign_in_say_their_method(api_client, tenant):
    admin = api_client(tenant, ["admin"])
    auth = api_client(tenant, ["auth"])
    own = f"{unique('self')}@example.com"
    assert auth.post("/auth/register", json={"email": own, "password": PASSWORD}).status_code == 201
    made = f"{unique('made')}@example.com"
    body = {"email": made, "password": PASSWORD, "is_verified": True}
    assert admin.post("/users", json=body).status_code == 201
    assert auth.post("/auth/login", json={"email": made, "password": PASSWORD}).status_code == 200

    created = admin.get("/events", query_string={"type": "user.created"}).json["items"]
    assert {e["data"]["user"]["email"]: e["data"]["via"] for e in created} == {
        own: "password",
        made: "admin",
    }
    assert all("provider_id" not in e["data"] for e in created)
    (login,) = admin.get("/events", query_string={"type": "user.login"}).json["items"]
    assert login["data"]["via"] == "password"
    (entry,) = admin.get("/audit", query_string={"action": "user.login"}).json["items"]
    assert entry["changes"]["via"] == "password"
