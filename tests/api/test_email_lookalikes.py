"""Look-alike addresses through the API: one account per normalised address (issue 11.12)."""

from __future__ import annotations

KELVIN_K = "\u212a"  # KELVIN SIGN
CYRILLIC_A = "\u0430"
FULL_WIDTH_KIM = "\uff4b\uff49\uff4d"  # ｋｉｍ
PASSWORD = "correct horse battery staple"


def test_does_an_address_with_the_kelvin_sign_collide_with_the_plain_one(api_client, tenant):
    client = api_client(tenant, ["users:write"])
    squat = client.post("/users", json={"email": f"{KELVIN_K}im@x.test"})
    assert squat.status_code == 201
    assert squat.json["email"] == "Kim@x.test", "stored, and mailed, as the plain address"
    real = client.post("/users", json={"email": "kim@x.test"})
    assert real.status_code == 409 and list(real.json["errors"]) == ["email"]


def test_is_a_mixed_script_local_part_refused_with_a_problem_naming_email(api_client, tenant):
    client = api_client(tenant, ["users:write", "auth"])
    for path, body in [
        ("/users", {"email": f"p{CYRILLIC_A}ypal@x.test"}),
        ("/auth/register", {"email": f"p{CYRILLIC_A}ypal@x.test", "password": PASSWORD}),
    ]:
        response = client.post(path, json=body)
        assert response.status_code == 422, response.json
        assert response.headers["Content-Type"] == "application/problem+json"
        assert list(response.json["errors"]) == ["email"]


def test_do_full_width_letters_normalise_for_sign_up_sign_in_and_search(api_client, tenant):
    client = api_client(tenant, ["users:read", "users:write", "auth"])
    signup = client.post(
        "/auth/register", json={"email": f"{FULL_WIDTH_KIM}@x.test", "password": PASSWORD}
    )
    assert signup.status_code == 201 and signup.json["email"] == "kim@x.test"
    again = client.post("/users", json={"email": "KIM@x.test"})
    assert again.status_code == 409
    for identifier in ("kim@x.test", f"{KELVIN_K}IM@X.TEST", f"{FULL_WIDTH_KIM}@x.test"):
        login = client.post("/auth/login", json={"email": identifier, "password": PASSWORD})
        assert login.status_code == 200, identifier
    found = client.get(f"/users?email={FULL_WIDTH_KIM.upper()}@x.test").json["items"]
    assert [user["email"] for user in found] == ["kim@x.test"]


def test_does_changing_an_email_apply_the_same_rules(api_client, tenant, make_user):
    client = api_client(tenant, ["users:write"])
    kim = make_user(tenant, email="kim@x.test")
    other = make_user(tenant)
    taken = client.patch(f"/users/{other['id']}", json={"email": f"{KELVIN_K}IM@x.test"})
    assert taken.status_code == 409 and list(taken.json["errors"]) == ["email"]
    mixed = client.patch(f"/users/{kim['id']}", json={"email": f"k{CYRILLIC_A}m@x.test"})
    assert mixed.status_code == 422 and list(mixed.json["errors"]) == ["email"]


def test_does_an_import_report_look_alike_and_mixed_script_rows(api_client, tenant, make_user):
    client = api_client(tenant, ["users:write"])
    make_user(tenant, email="kim@x.test")
    rows = [{"email": f"{KELVIN_K}im@x.test"}, {"email": f"p{CYRILLIC_A}ypal@x.test"}]
    results = client.post("/users/import", json={"users": rows}).json["results"]
    assert [r["status"] for r in results] == ["error", "error"]
    assert list(results[0]["errors"]) == ["email"]
    assert list(results[1]["errors"]) == ["email"]


def test_can_an_account_from_before_the_script_rule_still_be_edited(app, api_client, tenant):
    from authsvc.extensions import db
    from authsvc.tenancy import tenant_context
    from authsvc.users.models import User

    older = f"p{CYRILLIC_A}ypal@x.test"
    with app.app_context(), tenant_context(tenant[0]):
        user = User(email=older, email_normalized=older)
        db.session.add(user)
        db.session.commit()
        user_id = str(user.id)
    client = api_client(tenant, ["users:write"])
    edited = client.patch(f"/users/{user_id}", json={"email": older, "display_name": "Older"})
    assert edited.status_code == 200 and edited.json["display_name"] == "Older"
