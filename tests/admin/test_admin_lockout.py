"""Admin accounts lock after failed sign-ins, like end users' (Trust item 9)."""

from __future__ import annotations

import pyotp
import pytest

from tests.admin.conftest import PASSWORD, AdminClient, csrf_token
from tests.conftest import make_app

FAILED = "Invalid email or password."


class LoginPage:
    """One browser at the panel's sign-in form; each attempt may come from another address."""

    def __init__(self, app) -> None:
        self.client = app.test_client()
        self.token = csrf_token(self.client.get("/admin/login").text)

    def attempt(self, email: str, password: str, ip: str = "198.51.100.1"):
        return self.client.post(
            "/admin/login",
            data={"email": email, "password": password, "csrf_token": self.token},
            environ_base={"REMOTE_ADDR": ip},
        )


def _fail(page: LoginPage, spellings: list[str], start: int = 0) -> None:
    for number, email in enumerate(spellings, start=start):
        response = page.attempt(email, "wrong password", ip=f"203.0.113.{number + 1}")
        assert response.status_code == 401 and FAILED in response.text


def _refused(page: LoginPage, email: str) -> bool:
    """Is the right password refused, with the generic message, and no session opened?"""
    response = page.attempt(email, PASSWORD, ip="192.0.2.200")
    signed_out = page.client.get("/admin/users").status_code == 302
    return response.status_code == 401 and FAILED in response.text and signed_out


def test_do_ten_wrong_passwords_lock_an_admin_whatever_the_address(app, make_admin, tenant):
    email = make_admin(tenant)
    page = LoginPage(app)
    _fail(page, [email] * 10)  # from ten different addresses
    assert _refused(page, email)


def test_do_all_spellings_of_an_email_count_in_one_bucket(app, make_admin, tenant):
    email = make_admin(tenant)
    local, domain = email.split("@")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in local)
    spellings = [email.upper(), f"{email}\n", email.title(), f"{fullwidth}@{domain}"]
    page = LoginPage(app)
    _fail(page, (spellings * 3)[:10])
    assert _refused(page, email)


def test_does_a_successful_sign_in_forget_earlier_failures(app, make_admin, tenant):
    email = make_admin(tenant)
    page = LoginPage(app)
    _fail(page, [email] * 9)
    assert page.attempt(email, PASSWORD, ip="192.0.2.1").status_code == 302
    again = LoginPage(app)
    _fail(again, [email] * 9, start=20)
    assert again.attempt(email, PASSWORD, ip="192.0.2.2").status_code == 302


def test_does_an_unknown_email_lock_like_a_known_one(app):
    """Locks must not tell which emails have accounts: unknown ones are counted too."""
    from authsvc.admins.lockout import locked_for

    unknown = "nobody-here@example.com"
    with app.app_context():
        assert locked_for(unknown) == 0
    page = LoginPage(app)
    _fail(page, [unknown] * 10)
    with app.app_context():
        assert locked_for(unknown.upper()) > 0


@pytest.mark.parametrize("store", ["database", "redis"])
def test_do_two_app_instances_share_the_count(
    request, database_url, tmp_path, make_admin, tenant, store
):
    extra = {"REDIS_URL": request.getfixturevalue("redis_url")} if store == "redis" else {}
    first = make_app(database_url, tmp_path, **extra)
    second = make_app(database_url, tmp_path, **extra)
    email = make_admin(tenant)
    _fail(LoginPage(first), [email] * 5)
    _fail(LoginPage(second), [email] * 5, start=5)
    assert _refused(LoginPage(first), email)
    assert _refused(LoginPage(second), email)


def test_do_wrong_totp_codes_lock_the_admin_too(app, make_tenant, make_admin):
    tenant = make_tenant(settings={"auth": {"require_mfa_for_admins": True}})
    email = make_admin(tenant)
    client = AdminClient(app.test_client(), email)
    assert client.login().headers["Location"] == "/admin/login/mfa"
    page = client.get("/admin/login/mfa")
    secret = page.text.split('data-testid="totp-secret">')[1].split("<")[0]
    token = csrf_token(page.text)
    for _ in range(10):
        wrong = client.client.post("/admin/login/mfa", data={"code": "000000", "csrf_token": token})
        assert wrong.status_code == 401
    right = pyotp.TOTP(secret).now()
    late = client.client.post("/admin/login/mfa", data={"code": right, "csrf_token": token})
    assert late.status_code == 401, "locked: even the right code is refused"
    assert _refused(LoginPage(app), email)
