"""Sign-up, the verification email, and its link."""

from __future__ import annotations

from authsvc.mail.delivery import deliver_due
from tests.auth.conftest import PASSWORD, link_token
from tests.fixtures.mailbox import drain_mail


def test_signup_sends_a_verification_email_whose_token_verifies(app, tenant_app, inbox):
    user = tenant_app.signup("new@example.com", username="newbie", display_name="New")
    assert user["is_verified"] is False and "password" not in user
    assert deliver_due(app) >= 1
    [message] = inbox.to("new@example.com")
    assert "Confirm your email" in message["Subject"]
    token = link_token(message, "verify")
    verified = tenant_app.client.post("/auth/verify-email", json={"token": token})
    assert verified.status_code == 200 and verified.json["is_verified"] is True
    again = tenant_app.client.post("/auth/verify-email", json={"token": token})
    assert again.status_code == 422


def test_password_policy_follows_nist_length_and_common_list(tenant_app):
    for password, message in [
        ("short", "Use at least 8 characters."),
        ("password1", "This password is too common; choose another."),
        ("x" * 129, "Use at most 128 characters."),
        ("same@example.com", "Do not use your email or username as the password."),
    ]:
        response = tenant_app.client.post(
            "/auth/register", json={"email": "same@example.com", "password": password}
        )
        assert response.status_code == 422, password
        assert message in response.json["errors"]["password"]
    # No composition rules: a long lower-case passphrase is fine.
    tenant_app.signup("ok@example.com", password="plain lower case words")


def test_tenant_policy_can_raise_the_minimum_length(tenant_app, set_auth_policy):
    set_auth_policy(password_min_length=16)
    response = tenant_app.client.post(
        "/auth/register", json={"email": "a@example.com", "password": "fifteen chars!!"}
    )
    assert response.json["errors"]["password"] == ["Use at least 16 characters."]


def test_resend_is_capped_at_three_an_hour_and_answers_the_same(app, tenant_app, inbox):
    tenant_app.signup("slow@example.com")
    for email in ["slow@example.com"] * 4 + ["nobody@example.com"]:
        response = tenant_app.client.post("/auth/resend-verification", json={"email": email})
        assert response.status_code == 202 and response.json == {"status": "accepted"}
    drain_mail(app)
    # One at sign-up and two resends: three in the hour.
    assert len(inbox.to("slow@example.com")) == 3
    assert inbox.to("nobody@example.com") == []


def test_unverified_users_may_sign_in_unless_the_tenant_forbids_it(tenant_app, set_auth_policy):
    tenant_app.signup("fresh@example.com")
    assert tenant_app.login("fresh@example.com").status_code == 200
    set_auth_policy(allow_unverified_login=False)
    refused = tenant_app.login("fresh@example.com")
    assert refused.status_code == 403
    assert refused.json["detail"] == "Verify your email address before signing in."
    assert PASSWORD not in str(refused.json)
