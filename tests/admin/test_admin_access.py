"""Signing in to the panel: fresh sessions, generic failures, timeouts, TOTP, logout."""

from __future__ import annotations

import re

import pyotp
import pytest

from admin import sessions
from tests.admin.conftest import PASSWORD, AdminClient, csrf_token


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/admin/login?next=/admin/users")


def test_wrong_password_and_unknown_email_get_the_same_answer(app, make_admin, tenant):
    email = make_admin(tenant)
    answers = []
    for login, password in ((email, "wrong password"), ("nobody@example.com", PASSWORD)):
        client = app.test_client()
        token = csrf_token(client.get("/admin/login").text)
        response = client.post(
            "/admin/login", data={"email": login, "password": password, "csrf_token": token}
        )
        answers.append((response.status_code, "Invalid email or password." in response.text))
        assert client.get("/admin/users").status_code == 302, "must still be signed out"
    assert answers == [(401, True), (401, True)]


def test_login_starts_a_fresh_session_without_pre_login_data(app, make_admin, tenant):
    email = make_admin(tenant)
    client = AdminClient(app.test_client(), email)
    with client.client.session_transaction() as planted:
        planted["planted_by_attacker"] = "x"
        planted["_user_id"] = "00000000-0000-0000-0000-000000000000"
    assert client.login().status_code == 302
    with client.client.session_transaction() as session:
        assert "planted_by_attacker" not in session
        assert session["_user_id"] != "00000000-0000-0000-0000-000000000000"


def test_session_cookie_is_httponly_and_samesite_lax(client):
    client.get("/admin/login")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_session_cookie_is_secure_when_served_over_https(database_url, tmp_path):
    from tests.conftest import make_app

    app = make_app(database_url, tmp_path, BASE_URL="https://auth.example.com")
    client = app.test_client()
    client.get("/admin/login", base_url="https://auth.example.com")
    assert client.get_cookie("session", domain="auth.example.com").secure


def test_idle_session_is_signed_out(admin_client, tenant, monkeypatch, app):
    client = admin_client(tenant)
    start = sessions.now()
    idle = app.config["ADMIN_IDLE_TIMEOUT_SECONDS"]
    monkeypatch.setattr(sessions, "now", lambda: start + idle - 5)
    assert client.get("/admin/users").status_code == 200, "activity within the idle limit"
    monkeypatch.setattr(sessions, "now", lambda: start + 2 * idle - 10)
    assert client.get("/admin/users").status_code == 200, "the last request reset the idle clock"
    monkeypatch.setattr(sessions, "now", lambda: start + 3 * idle)
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/login"
    assert client.get("/admin/users").status_code == 302, "the session is gone for good"


def test_session_ends_at_its_maximum_age_despite_activity(admin_client, tenant, monkeypatch, app):
    client = admin_client(tenant)
    start, step = sessions.now(), app.config["ADMIN_IDLE_TIMEOUT_SECONDS"] - 1
    clock = start
    while clock - start < app.config["ADMIN_SESSION_MAX_SECONDS"]:
        monkeypatch.setattr(sessions, "now", lambda clock=clock: clock)
        assert client.get("/admin/").status_code == 200
        clock += step
    monkeypatch.setattr(sessions, "now", lambda: clock)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "maximum length" in client.get("/admin/login").text


def test_logout_needs_a_post_with_a_csrf_token(admin_client, tenant):
    client = admin_client(tenant)
    assert client.get("/admin/logout").status_code == 405
    client.post("/admin/logout", csrf=False)
    assert client.get("/admin/users").status_code == 200, "a forged logout does nothing"
    client.post("/admin/logout")
    assert client.get("/admin/users").status_code == 302


def test_login_only_redirects_to_panel_pages(app, make_admin, tenant):
    client = app.test_client()
    email = make_admin(tenant)
    token = csrf_token(client.get("/admin/login").text)
    response = client.post(
        "/admin/login",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": token,
            "next": "https://evil.example.com/",
        },
    )
    assert response.headers["Location"] == "/admin/"


def _login_with_code(app, email):
    client = AdminClient(app.test_client(), email)
    response = client.login()
    assert response.headers["Location"] == "/admin/login/mfa"
    return client


def test_tenant_requiring_admin_mfa_enrols_then_asks_for_totp(app, make_tenant, make_admin):
    tenant = make_tenant(settings={"auth": {"require_mfa_for_admins": True}})
    email = make_admin(tenant)
    client = _login_with_code(app, email)
    page = client.get("/admin/login/mfa")
    secret = page.text.split('data-testid="totp-secret">')[1].split("<")[0]
    assert "<svg" in page.text and "QR code" in page.text  # scannable enrolment
    assert re.search(r'data-testid="mfa-reason">[^<]+ requires an authenticator app', page.text)
    token = csrf_token(page.text)
    wrong = client.client.post("/admin/login/mfa", data={"code": "000000", "csrf_token": token})
    assert wrong.status_code == 401 and "not valid" in wrong.text
    code = pyotp.TOTP(secret).now()
    ok = client.client.post("/admin/login/mfa", data={"code": code, "csrf_token": token})
    assert ok.status_code == 302 and ok.headers["Location"] == "/admin/"
    assert client.get("/admin/users").status_code == 200

    # Next time the enrolled secret is asked for, and the used code cannot be replayed.
    again = _login_with_code(app, email)
    token = csrf_token(again.get("/admin/login/mfa").text)
    replay = again.client.post("/admin/login/mfa", data={"code": code, "csrf_token": token})
    assert replay.status_code == 401
    assert again.get("/admin/users").status_code == 302


def test_platform_admin_switching_into_an_mfa_tenant_must_pass_totp(admin_client, make_tenant):
    plain, strict = make_tenant(), make_tenant(settings={"auth": {"require_mfa_for_admins": True}})
    client = admin_client(platform=True)
    client.switch(plain)
    assert client.get("/admin/users").status_code == 200
    client.switch(strict)
    response = client.get("/admin/users")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/mfa"
    # The TOTP page names the tenant that asks for it, and lets them switch back instead.
    page = client.get("/admin/mfa").text
    assert "Or work in another tenant" in page
    assert re.search(r'data-testid="mfa-reason">[^<]+ requires an authenticator app', page)
    client.switch(plain)
    assert client.get("/admin/users").status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_password_guessing_is_rate_limited(app, make_admin, tenant):
    email = make_admin(tenant)
    client = app.test_client()
    token = csrf_token(client.get("/admin/login").text)
    codes = [
        client.post(
            "/admin/login", data={"email": email, "password": "nope", "csrf_token": token}
        ).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10 and codes[10] == 429


def test_signing_out_ends_the_session_in_every_browser(app, make_admin, tenant):
    email = make_admin(tenant)
    first, second = AdminClient(app.test_client(), email), AdminClient(app.test_client(), email)
    first.login(), second.login()
    with first.client.session_transaction() as stolen:
        copied = dict(stolen)
    first.post("/admin/logout")
    assert second.get("/admin/users").status_code == 302, "the other browser is signed out"
    replay = app.test_client()
    with replay.session_transaction() as session:
        session.update(copied)
    assert replay.get("/admin/users").status_code == 302, "a copied cookie is worthless"


def test_admin_totp_secret_is_encrypted_at_rest(app, make_tenant, make_admin):
    import sqlalchemy as sa

    from authsvc.extensions import db

    tenant = make_tenant(settings={"auth": {"require_mfa_for_admins": True}})
    email = make_admin(tenant)
    client = _login_with_code(app, email)
    page = client.get("/admin/login/mfa")
    secret = page.text.split('data-testid="totp-secret">')[1].split("<")[0]
    token = csrf_token(page.text)
    code = pyotp.TOTP(secret).now()
    done = client.client.post("/admin/login/mfa", data={"code": code, "csrf_token": token})
    assert done.status_code == 302
    with app.app_context():
        stored = db.session.execute(
            sa.text("SELECT totp_secret_encrypted FROM admins WHERE email = :e"), {"e": email}
        ).scalar_one()
    assert stored and secret not in stored
