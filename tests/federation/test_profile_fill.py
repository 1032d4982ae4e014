"""Profile fields (name, picture, locale) filled from the provider's claims, only where empty.

The test provider sends ``name`` "Test <login>", ``picture``
https://idp.example/avatars/<login>.png and ``locale`` de-CH; "badprofile-..."
logins send values no field may take.
"""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.federation.conftest import start_sign_in


@pytest.fixture
def admin(api_client, tenant):
    return api_client(tenant, ["admin"])


def sign_in(app, tenant, provider, login: str) -> None:
    browser = app.test_client()
    done = browser.get(start_sign_in(browser, tenant[1], provider["id"], login))
    assert done.status_code == 303, done.text


def user_of(admin, email: str) -> dict:
    (user,) = admin.get("/users", query_string={"email": email}).json["items"]
    return user


def test_does_a_new_user_get_name_picture_and_locale_from_the_claims(
    app, admin, tenant, oidc_provider
):
    login = unique("pia")
    sign_in(app, tenant, oidc_provider, login)
    user = user_of(admin, f"{login}@idp.example")
    assert user["display_name"] == f"Test {login}"
    assert user["avatar_url"] == f"https://idp.example/avatars/{login}.png"
    assert user["locale"] == "de-CH"


def test_does_a_sign_in_fill_only_the_empty_fields_of_an_existing_account(
    app, admin, make_user, tenant, oidc_provider
):
    login = unique("quinn")
    email = f"{login}@idp.example"
    make_user(tenant, email=email, password="a password of her own", is_verified=True)
    admin.patch(f"/users/{user_of(admin, email)['id']}", json={"display_name": "Quinn Q."})
    admin.patch(f"/identity-providers/{oidc_provider['id']}", json={"link_by_email": True})
    sign_in(app, tenant, oidc_provider, login)
    user = user_of(admin, email)
    assert user["display_name"] == "Quinn Q."
    assert user["avatar_url"].endswith(f"/avatars/{login}.png") and user["locale"] == "de-CH"
    updates = admin.get("/events", query_string={"type": "user.updated"}).json["items"]
    # The admin's change, then the sign-in's fill.
    assert sorted(e["data"]["changed"] for e in updates) == [
        ["avatar_url", "locale"],
        ["display_name"],
    ]


def test_does_the_next_sign_in_keep_what_the_user_set_since(app, admin, tenant, oidc_provider):
    login = unique("rey")
    sign_in(app, tenant, oidc_provider, login)
    user_id = user_of(admin, f"{login}@idp.example")["id"]
    admin.patch(f"/users/{user_id}", json={"locale": "fr-FR", "avatar_url": None})
    sign_in(app, tenant, oidc_provider, login)
    user = user_of(admin, f"{login}@idp.example")
    # The cleared picture is empty again, so it is filled; the chosen locale stays.
    assert user["locale"] == "fr-FR" and user["avatar_url"].endswith(f"/avatars/{login}.png")


def test_are_claims_no_field_may_take_left_out_not_cut(app, admin, tenant, oidc_provider):
    """An oversized name, a javascript: picture and a malformed locale fill nothing."""
    login = unique("badprofile")
    sign_in(app, tenant, oidc_provider, login)
    user = user_of(admin, f"{login}@idp.example")
    assert (user["display_name"], user["avatar_url"], user["locale"]) == (None, None, None)
