"""My account: an admin's own password (current one required), TOTP, and sessions."""

from __future__ import annotations

import time

import pyotp

from tests.admin.conftest import PASSWORD, AdminClient, csrf_token
from tests.admin.test_admin_admins import _admin_id

NEW_PASSWORD = "my next admin password"


def test_does_changing_the_password_need_the_current_one(app, admin_client, tenant):
    client = admin_client(tenant)
    assert client.get("/admin/account").status_code == 200
    wrong = client.post(
        "/admin/account/password",
        {"current_password": "not it", "password": "short", "confirm": "different"},
    )
    assert wrong.status_code == 422
    for message in ("not your current password", "at least 8", "passwords differ"):
        assert message in wrong.text, message
    other_browser = AdminClient(app.test_client(), client.email)
    other_browser.login()
    done = client.post(
        "/admin/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert client.get("/admin/account").status_code == 200, "this browser stays signed in"
    assert other_browser.get("/admin/account").status_code == 302, "the other one is out"
    assert AdminClient(app.test_client(), client.email).login(NEW_PASSWORD).status_code == 302


def test_can_an_admin_enrol_and_disable_totp(app, admin_client, tenant):
    client = admin_client(tenant)
    page = client.get("/admin/account").text
    assert "<svg" in page and "QR code" in page
    secret = page.split('data-testid="totp-secret">')[1].split("<")[0]
    assert client.post("/admin/account/totp", {"code": "000000"}).status_code == 422
    assert client.post("/admin/account/totp", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert "Sign-in asks for a code" in client.get("/admin/account").text
    refused = client.post("/admin/account/totp/disable", {"current_password": "wrong"})
    assert refused.status_code == 422
    off = client.post("/admin/account/totp/disable", {"current_password": PASSWORD})
    assert off.status_code == 302
    assert 'data-testid="totp-secret"' in client.get("/admin/account").text
    trail = client.get("/admin/audit?actor=admin:" + client.email).text
    assert "<code>admin.mfa_enabled</code>" in trail and "<code>admin.mfa_disabled</code>" in trail


def test_does_a_tenant_requiring_totp_keep_it_on(app, make_tenant, make_admin):
    from authsvc.admins.service import enable_totp, get_admin, new_totp_secret

    strict = make_tenant(settings={"auth": {"require_mfa_for_admins": True}})
    email = make_admin(strict)

    secret = new_totp_secret()
    with app.app_context():
        assert enable_totp(get_admin(email), secret, pyotp.TOTP(secret).now())
    client = AdminClient(app.test_client(), email)
    client.login()
    # The code accepted at enrolment cannot be replayed: use the next step's code.
    code = pyotp.TOTP(secret).at(int(time.time()) + 30)
    page = client.client.get("/admin/login/mfa")
    client.client.post("/admin/login/mfa", data={"code": code, "csrf_token": csrf_token(page.text)})
    client.refresh_token()
    response = client.post("/admin/account/totp/disable", {"current_password": PASSWORD})
    assert response.status_code == 422 and "requires two-factor authentication" in response.text


def test_does_ending_other_sessions_keep_this_one(app, admin_client, tenant):
    client = admin_client(tenant)
    other = AdminClient(app.test_client(), client.email)
    other.login()
    confirm = client.get("/admin/account/sessions/end")
    assert confirm.status_code == 200 and "this one stays" in confirm.text
    assert client.post("/admin/account/sessions/end", {"confirm": "y"}).status_code == 302
    assert client.get("/admin/account").status_code == 200
    assert other.get("/admin/account").status_code == 302


def test_may_a_viewer_still_change_its_own_password(app, admin_client, make_admin, tenant):
    email = make_admin(tenant)
    boss = admin_client(tenant)

    boss.post(f"/admin/admins/{_admin_id(app, email)}/role", {"role": "viewer"})
    viewer = AdminClient(app.test_client(), email)
    viewer.login()
    response = viewer.post(
        "/admin/account/password",
        {"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
