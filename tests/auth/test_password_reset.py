"""Forgotten passwords: the same answer for everyone, a single-use link, every session ended."""

from __future__ import annotations

from tests.auth.conftest import link_token
from tests.fixtures.mailbox import drain_mail

NEW = "a completely new passphrase"


def test_reset_by_the_emailed_link_ends_every_session(app, tenant_app, inbox):
    tenant_app.signup("lost@example.com")
    pair = tenant_app.tokens("lost@example.com")
    known = tenant_app.client.post("/auth/forgot-password", json={"email": "lost@example.com"})
    unknown = tenant_app.client.post("/auth/forgot-password", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202 and known.json == unknown.json
    drain_mail(app)
    [message] = [m for m in inbox.to("lost@example.com") if "reset" in m["Subject"].lower()]
    token = link_token(message, "reset")
    weak = tenant_app.client.post(
        "/auth/reset-password", json={"token": token, "new_password": "short"}
    )
    assert weak.status_code == 422 and "new_password" in weak.json["errors"]
    done = tenant_app.client.post(
        "/auth/reset-password", json={"token": token, "new_password": NEW}
    )
    assert done.status_code == 204
    assert tenant_app.as_user("get", "/me", pair["access_token"]).status_code == 401
    assert tenant_app.login("lost@example.com", NEW).status_code == 200
    again = tenant_app.client.post(
        "/auth/reset-password", json={"token": token, "new_password": NEW + "!"}
    )
    assert again.status_code == 422
    assert inbox.to("nobody@example.com") == []


def test_expired_reset_link_is_refused(app, tenant_app, inbox, set_auth_policy):
    import sqlalchemy as sa

    from authsvc.db import utcnow
    from authsvc.extensions import db
    from authsvc.tenancy import tenant_context

    tenant_app.signup("late@example.com")
    tenant_app.client.post("/auth/forgot-password", json={"email": "late@example.com"})
    drain_mail(app)
    message = [m for m in inbox.to("late@example.com") if "reset" in m["Subject"].lower()][0]
    token = link_token(message, "reset")
    with app.app_context(), tenant_context(tenant_app.tenant_id):
        db.session.execute(sa.text("UPDATE one_time_tokens SET expires_at = :t"), {"t": utcnow()})
        db.session.commit()
    late = tenant_app.client.post(
        "/auth/reset-password", json={"token": token, "new_password": NEW}
    )
    assert late.status_code == 422
