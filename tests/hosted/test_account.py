"""The end user's account page on the hosted site: profile, password, TOTP, sessions,
provider links and deletion, each only for the signed-in user of this tenant."""

from __future__ import annotations

import re
import uuid

import pyotp
import pytest

from tests.hosted.conftest import PASSWORD, csrf_token, submit, text


def sign_in(client, slug: str, identifier: str, password: str = PASSWORD):
    response = submit(client, f"/t/{slug}/login", {"identifier": identifier, "password": password})
    assert response.status_code == 303, text(response)[:400]
    return response


def post(client, slug: str, path: str, data: dict | None = None):
    """POST an account form with the page's CSRF token, as the browser would."""
    page = client.get(f"/t/{slug}/account")
    url = f"/t/{slug}/account{path}"
    return client.post(url, data={"csrf_token": csrf_token(page), **(data or {})})


@pytest.fixture
def signed_in(app, tenant, member):
    client = app.test_client()
    sign_in(client, tenant[1], member["email"])
    return client


def test_sign_in_lands_on_the_account_page(app, tenant, member):
    client = app.test_client()
    assert client.get(f"/t/{tenant[1]}/account").headers["Location"] == f"/t/{tenant[1]}/login"
    response = sign_in(client, tenant[1], member["email"])
    assert response.headers["Location"] == f"/t/{tenant[1]}/account"
    page = client.get(f"/t/{tenant[1]}/account")
    assert page.status_code == 200 and member["email"] in text(page)
    assert "this browser" in text(page)
    # The old landing page still leads somewhere useful.
    assert client.get(f"/t/{tenant[1]}/signed-in").headers["Location"].endswith("/account")


def test_profile_changes_need_the_csrf_token(signed_in, tenant):
    slug = tenant[1]
    forged = signed_in.post(f"/t/{slug}/account/profile", data={"display_name": "Mallory"})
    assert forged.status_code == 400 and "Mallory" not in text(signed_in.get(f"/t/{slug}/account"))
    saved = post(signed_in, slug, "/profile", {"display_name": "Grace Hopper"})
    assert saved.status_code == 303
    assert 'value="Grace Hopper"' in text(signed_in.get(f"/t/{slug}/account"))


def test_password_change_checks_the_current_one_and_ends_other_sessions(
    app, signed_in, tenant, member
):
    slug = tenant[1]
    elsewhere = app.test_client()
    sign_in(elsewhere, slug, member["email"])
    new = "a completely new passphrase 7"
    wrong = post(signed_in, slug, "/password", {
        "current_password": "not it", "new_password": new, "confirm": new,
    })  # fmt: skip
    assert wrong.status_code == 401 and "current password is not correct" in text(wrong)
    differ = post(signed_in, slug, "/password", {
        "current_password": PASSWORD, "new_password": new, "confirm": new + "x",
    })  # fmt: skip
    assert differ.status_code == 422 and "The passwords differ." in text(differ)
    changed = post(signed_in, slug, "/password", {
        "current_password": PASSWORD, "new_password": new, "confirm": new,
    })  # fmt: skip
    assert changed.status_code == 303
    assert signed_in.get(f"/t/{slug}/account").status_code == 200, "this session stays"
    assert elsewhere.get(f"/t/{slug}/account").status_code == 303, "the other one ended"
    sign_in(app.test_client(), slug, member["email"], new)


def _code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def test_totp_enrolment_shows_recovery_codes_once_and_can_be_turned_off(signed_in, tenant):
    slug = tenant[1]
    started = post(signed_in, slug, "/mfa")
    assert started.status_code == 200 and "<svg" in text(started)
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', text(started)).group(1)
    token = csrf_token(started)
    bad = signed_in.post(
        f"/t/{slug}/account/mfa/confirm", data={"csrf_token": token, "code": "000000"}
    )
    assert bad.status_code == 422 and secret in text(bad), "the same key is shown again"
    done = signed_in.post(
        f"/t/{slug}/account/mfa/confirm", data={"csrf_token": token, "code": _code(secret)}
    )
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li>([0-9a-f]{6}-[0-9a-f]{6})</li>", text(done))
    assert len(codes) == 10
    page = text(signed_in.get(f"/t/{slug}/account"))
    assert "On: sign-ins ask for a code" in page and codes[0] not in page
    refused = post(signed_in, slug, "/mfa/disable", {"password": "not it"})
    assert refused.status_code == 401
    assert post(signed_in, slug, "/mfa/disable", {"code": codes[0]}).status_code == 303
    assert "Off." in text(signed_in.get(f"/t/{slug}/account"))


def test_sessions_are_signed_out_one_by_one_or_all_but_this_one(app, signed_in, tenant, member):
    slug = tenant[1]
    phone, laptop = app.test_client(), app.test_client()
    for client in (phone, laptop):
        sign_in(client, slug, member["email"])
    page = text(signed_in.get(f"/t/{slug}/account"))
    ids = re.findall(r"/account/sessions/([0-9a-f-]{36})/revoke", page)
    assert len(ids) == 3  # oldest first: this browser, the phone, the laptop
    assert post(signed_in, slug, f"/sessions/{ids[1]}/revoke").status_code == 303
    assert phone.get(f"/t/{slug}/account").status_code == 303
    assert laptop.get(f"/t/{slug}/account").status_code == 200
    assert post(signed_in, slug, "/sessions/revoke-others").status_code == 303
    assert laptop.get(f"/t/{slug}/account").status_code == 303
    assert signed_in.get(f"/t/{slug}/account").status_code == 200
    # Signing out this browser's own session ends the page's session too.
    ended = post(signed_in, slug, f"/sessions/{ids[0]}/revoke")
    assert ended.headers["Location"] == f"/t/{slug}/login"
    assert signed_in.get(f"/t/{slug}/account").status_code == 303


def test_another_users_session_or_link_is_not_found(app, signed_in, tenant, make_user):
    """Attacker case: a valid id of someone else's session or provider link."""
    slug = tenant[1]
    victim = make_user(tenant, password=PASSWORD, is_verified=True)
    other = app.test_client()
    sign_in(other, slug, victim["email"])
    victim_session = re.findall(
        r"/account/sessions/([0-9a-f-]{36})/revoke", text(other.get(f"/t/{slug}/account"))
    )[0]
    assert post(signed_in, slug, f"/sessions/{victim_session}/revoke").status_code == 404
    assert post(signed_in, slug, f"/identities/{uuid.uuid4()}/unlink").status_code == 404
    assert other.get(f"/t/{slug}/account").status_code == 200, "the victim is still signed in"


def test_a_provider_link_is_listed_and_unlinked(app, signed_in, tenant, member, api_client):
    from authsvc.extensions import db
    from authsvc.federation.models import UserIdentity
    from authsvc.tenancy import tenant_context

    admin = api_client(tenant, ["admin"])
    provider = {"kind": "google", "display_name": "Google", "client_id": "account-client"}
    provider = admin.post("/identity-providers", json=provider).json
    with app.app_context(), tenant_context(tenant[0]):
        link = UserIdentity(
            provider_id=uuid.UUID(provider["id"]),
            user_id=uuid.UUID(member["id"]),
            subject="sub-1",
            email=member["email"],
        )
        db.session.add(link)
        db.session.commit()
        link_id = str(link.id)
    page = text(signed_in.get(f"/t/{tenant[1]}/account"))
    assert "Sign-in providers" in page and "Google" in page
    assert post(signed_in, tenant[1], f"/identities/{link_id}/unlink").status_code == 303
    assert "Sign-in providers" not in text(signed_in.get(f"/t/{tenant[1]}/account"))


def test_deleting_the_account_needs_the_password_again(app, signed_in, tenant, member):
    slug = tenant[1]
    page = signed_in.get(f"/t/{slug}/account/delete")
    assert page.status_code == 200 and "cannot be undone" in text(page)
    empty = signed_in.post(f"/t/{slug}/account/delete", data={"csrf_token": csrf_token(page)})
    assert empty.status_code == 422 and "Give your password." in text(empty)
    wrong = signed_in.post(
        f"/t/{slug}/account/delete", data={"csrf_token": csrf_token(page), "password": "nope"}
    )
    assert wrong.status_code == 401
    gone = signed_in.post(
        f"/t/{slug}/account/delete", data={"csrf_token": csrf_token(page), "password": PASSWORD}
    )
    assert gone.headers["Location"] == f"/t/{slug}/account/deleted"
    assert "authsvc_hosted=;" in gone.headers["Set-Cookie"], "the session cookie is cleared"
    refused = submit(
        app.test_client(), f"/t/{slug}/login", {"identifier": member["email"], "password": PASSWORD}
    )
    assert refused.status_code == 401


def test_another_tenants_cookie_does_not_open_this_tenants_account_page(
    signed_in, tenant, other_tenant
):
    assert signed_in.get(f"/t/{other_tenant[1]}/account").status_code == 303
