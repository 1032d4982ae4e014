"""Hosted sign-up, email verification, password reset and MFA, end to end with real mail."""

from __future__ import annotations

import re
import time
from urllib.parse import urlsplit

import pyotp

from tests.conftest import unique
from tests.fixtures.mailbox import drain_mail
from tests.hosted.conftest import PASSWORD, submit, text


def _link_in_mail(app, mailbox, address: str, page: str) -> str:
    """Deliver queued mail and return the path of the hosted link in ``address``'s mail."""
    drain_mail(app)
    [message] = mailbox.to(address)
    body = message.get_body(("plain",)).get_content()
    url = re.search(rf"(http://authsvc\.test/t/[a-z0-9-]+/{page}\?token=\S+)", body).group(1)
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def _user(api_client, tenant, email):
    return api_client(tenant, ["users:read"]).get(f"/users?email={email}").json["items"][0]


def test_register_then_follow_the_emailed_link_to_verify(app, client, tenant, mailbox, api_client):
    email = f"{unique('new')}@example.com"
    fields = {"email": email, "password": PASSWORD, "confirm": PASSWORD, "display_name": "Ada"}
    response = submit(client, f"/t/{tenant[1]}/register", fields)
    assert response.status_code == 201 and email in text(response)
    assert _user(api_client, tenant, email)["is_verified"] is False

    link = _link_in_mail(app, mailbox, email, "verify")
    page = client.get(link)
    assert page.status_code == 200 and _user(api_client, tenant, email)["is_verified"] is False
    confirmed = submit(client, link, {})
    assert confirmed.status_code == 200 and "is confirmed" in text(confirmed)
    assert _user(api_client, tenant, email)["is_verified"] is True
    again = submit(client, link, {})
    assert again.status_code == 422 and "invalid or has expired" in text(again)


def test_register_shows_policy_and_duplicate_errors_next_to_their_fields(client, tenant, member):
    short = submit(
        client,
        f"/t/{tenant[1]}/register",
        {"email": f"{unique('x')}@example.com", "password": "short", "confirm": "short"},
    )
    assert short.status_code == 422
    assert re.search(r'id="password-error">[^<]*at least 8 characters', text(short))
    taken = submit(
        client,
        f"/t/{tenant[1]}/register",
        {"email": member["email"], "password": PASSWORD, "confirm": PASSWORD},
    )
    assert taken.status_code == 409
    assert re.search(r'id="email-error">Another user has this email', text(taken))
    differ = submit(
        client,
        f"/t/{tenant[1]}/register",
        {"email": f"{unique('x')}@example.com", "password": PASSWORD, "confirm": "other"},
    )
    assert re.search(r'id="confirm-error">The passwords differ', text(differ))


def test_forgot_password_then_reset_from_the_emailed_link(app, client, tenant, member, mailbox):
    response = submit(client, f"/t/{tenant[1]}/forgot-password", {"email": member["email"]})
    unknown = submit(
        client, f"/t/{tenant[1]}/forgot-password", {"email": f"{unique('no')}@example.com"}
    )
    assert response.status_code == unknown.status_code == 200
    assert text(response).split("<main")[1] == text(unknown).split("<main")[1], "same answer"

    link = _link_in_mail(app, mailbox, member["email"], "reset")
    new_password = "a brand new passphrase"
    done = submit(client, link, {"new_password": new_password, "confirm": new_password})
    assert done.status_code == 200 and "Password changed" in text(done)
    login = f"/t/{tenant[1]}/login"
    old = submit(client, login, {"identifier": member["email"], "password": PASSWORD})
    assert old.status_code == 401
    new = submit(client, login, {"identifier": member["email"], "password": new_password})
    assert new.status_code == 303
    reused = submit(
        client, link, {"new_password": "yet another one!", "confirm": "yet another one!"}
    )
    assert reused.status_code == 422 and "invalid or has expired" in text(reused)


def test_reset_page_without_a_token_explains_what_to_do(client, tenant):
    page = client.get(f"/t/{tenant[1]}/reset")
    assert page.status_code == 200 and "needs the link from your email" in text(page)


def _enrol_totp(api_client, tenant, member) -> pyotp.TOTP:
    """Turn TOTP on for ``member`` through the API, as the tenant's app would."""
    auth = api_client(tenant, ["auth"])
    tokens = auth.post("/auth/login", json={"email": member["email"], "password": PASSWORD}).json
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    secret = auth.post("/me/mfa/totp", headers=bearer).json["secret"]
    totp = pyotp.TOTP(secret)
    confirm = auth.post(
        "/me/mfa/totp/confirm", headers=bearer, json={"code": totp.at(time.time() - 30)}
    )
    assert confirm.status_code == 200, confirm.json
    return totp


def test_sign_in_with_mfa_continues_on_the_code_page(client, tenant, member, api_client):
    totp = _enrol_totp(api_client, tenant, member)
    response = submit(
        client, f"/t/{tenant[1]}/login", {"identifier": member["email"], "password": PASSWORD}
    )
    assert response.headers["Location"] == f"/t/{tenant[1]}/mfa"
    assert "authsvc_hosted=" not in response.headers.get("Set-Cookie", "")
    wrong = submit(client, f"/t/{tenant[1]}/mfa", {"code": "000000"})
    assert wrong.status_code == 401 and 'id="code-error"' in text(wrong)
    right = submit(client, f"/t/{tenant[1]}/mfa", {"code": totp.now()})
    assert right.status_code == 303 and right.headers["Location"] == f"/t/{tenant[1]}/account"
    assert "authsvc_hosted=" in right.headers["Set-Cookie"]
    assert member["email"] in text(client.get(f"/t/{tenant[1]}/account"))


def test_mfa_page_without_a_pending_sign_in_goes_back_to_login(client, tenant):
    response = client.get(f"/t/{tenant[1]}/mfa")
    assert response.status_code == 303 and response.headers["Location"] == f"/t/{tenant[1]}/login"


def test_form_posts_are_rate_limited_per_flow_like_the_api(client, tenant, monkeypatch, app):
    monkeypatch.setitem(app.config, "RATELIMIT_FORGOT_PASSWORD", "2/hour")
    url = f"/t/{tenant[1]}/forgot-password"
    answers = [submit(client, url, {"email": "a@example.com"}) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) > 0
    assert client.get(url).status_code == 200, "showing the form is not limited"


def test_mfa_sign_in_keeps_the_validated_return_to(client, make_tenant, make_user, api_client):
    back = "https://app.example.com/after-login"
    tenant = make_tenant(settings={"redirect_urls": [back]})
    member = make_user(tenant, password=PASSWORD, is_verified=True)
    totp = _enrol_totp(api_client, tenant, member)
    submit(
        client,
        f"/t/{tenant[1]}/login?return_to={back}",
        {"identifier": member["email"], "password": PASSWORD},
    )
    done = submit(client, f"/t/{tenant[1]}/mfa", {"code": totp.now()})
    assert done.status_code == 303 and done.headers["Location"] == back
