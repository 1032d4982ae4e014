"""Invitations: mailed through the outbox, single use, expiring, revocable, for one address."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.organizations.models import Invitation
from authsvc.tenancy import tenant_context


def accept(org_app, email: str, token: str):
    access = org_app.sign_in(email)["access_token"]
    return org_app.as_user("post", "/invitations/accept", access, json={"token": token})


def test_an_invited_user_accepts_once_and_becomes_a_member(org_app):
    org = org_app.organization("acme")
    org_app.user("ada@example.com")
    invitation, token = org_app.invite(org["id"], "Ada@Example.com", roles=["admin"])
    assert invitation["state"] == "pending" and invitation["roles"] == ["admin"]
    assert token not in str(invitation)
    expires = invitation["expires_at"]
    assert (
        utcnow() + timedelta(days=7) - type(utcnow()).fromisoformat(expires)
    ).total_seconds() < 60
    accepted = accept(org_app, "ada@example.com", token)
    assert accepted.status_code == 200 and accepted.json == {"organization_id": org["id"]}
    members = org_app.client.get(f"/organizations/{org['id']}/members").json["items"]
    assert [(row["email"], row["roles"]) for row in members] == [("ada@example.com", ["admin"])]
    again = accept(org_app, "ada@example.com", token)
    assert again.status_code == 422 and "already been used" in again.json["detail"]
    listed = org_app.client.get(
        f"/organizations/{org['id']}/invitations", query_string={"state": "accepted"}
    ).json["items"]
    assert [row["id"] for row in listed] == [invitation["id"]]


def test_the_invitation_mail_is_themed_and_names_the_organization(org_app):
    org = org_app.organization("acme")
    org_app.invite(org["id"], "bob@example.com")
    from authsvc.mail.models import MailMessage

    with org_app.app.app_context(), tenant_context(org_app.tenant[0]):
        message = db.session.execute(
            sa.select(MailMessage).where(MailMessage.recipient == "bob@example.com")
        ).scalar_one()
        assert "Acme" in message.subject and "/invitations/accept?token=" in message.body_html


def test_a_revoked_invitation_cannot_be_accepted(org_app):
    org = org_app.organization("acme")
    org_app.user("ada@example.com")
    invitation, token = org_app.invite(org["id"], "ada@example.com")
    path = f"/organizations/{org['id']}/invitations/{invitation['id']}"
    revoked = org_app.client.delete(path)
    assert revoked.status_code == 200 and revoked.json["state"] == "revoked"
    assert org_app.client.delete(path).status_code == 409
    refused = accept(org_app, "ada@example.com", token)
    assert refused.status_code == 422 and "revoked" in refused.json["detail"]


def test_an_expired_invitation_cannot_be_accepted(org_app):
    org = org_app.organization("acme")
    org_app.user("ada@example.com")
    invitation, token = org_app.invite(org["id"], "ada@example.com")
    with org_app.app.app_context(), tenant_context(org_app.tenant[0]):
        db.session.execute(
            sa.update(Invitation)
            .where(Invitation.id == uuid.UUID(invitation["id"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    refused = accept(org_app, "ada@example.com", token)
    assert refused.status_code == 422 and "expired" in refused.json["detail"]
    # An expired invitation no longer blocks a new one.
    org_app.invite(org["id"], "ada@example.com")


def test_an_invitation_for_another_address_is_refused_unless_the_tenant_allows(org_app):
    org = org_app.organization("acme")
    org_app.user("mallory@example.com")
    _invitation, token = org_app.invite(org["id"], "ada@example.com")
    refused = accept(org_app, "mallory@example.com", token)
    assert refused.status_code == 403
    settings = {"settings": {"auth": {"invitation_any_email": True}}}
    assert org_app.client.patch("/tenant", json=settings).status_code == 200
    assert accept(org_app, "mallory@example.com", token).status_code == 200


def test_look_alike_and_forged_tokens_are_not_valid(org_app):
    org = org_app.organization("acme")
    org_app.user("ada@example.com")
    _invitation, token = org_app.invite(org["id"], "ada@example.com")
    for forged in (token[:-1], token.upper(), token + "x", "x" * 200):
        refused = accept(org_app, "ada@example.com", forged)
        assert refused.status_code == 422 and "not valid" in refused.json["detail"]
    assert accept(org_app, "ada@example.com", token).status_code == 200


def test_another_tenants_user_cannot_accept_this_tenants_invitation(org_app, other_org_app):
    """Attacker case: the token is looked up in the bearer's own tenant only."""
    org = org_app.organization("acme")
    _invitation, token = org_app.invite(org["id"], "ada@example.com")
    other_org_app.user("ada@example.com")
    refused = accept(other_org_app, "ada@example.com", token)
    assert refused.status_code == 422
    assert org_app.client.get(f"/organizations/{org['id']}/members").json["items"] == []


def test_inviting_a_member_or_a_pending_address_is_a_conflict(org_app):
    org = org_app.organization("acme")
    user = org_app.user("ada@example.com")
    org_app.client.post(f"/organizations/{org['id']}/members", json={"user_id": user["id"]})
    path = f"/organizations/{org['id']}/invitations"
    assert org_app.client.post(path, json={"email": "ADA@example.com"}).status_code == 409
    org_app.invite(org["id"], "bob@example.com")
    assert org_app.client.post(path, json={"email": "bob@example.com"}).status_code == 409
    unknown = org_app.client.post(path, json={"email": "eve@example.com", "roles": ["nope"]})
    assert unknown.status_code == 422


def test_invitation_events_are_committed_with_the_change(org_app):
    org = org_app.organization("acme")
    org_app.user("ada@example.com")
    invitation, token = org_app.invite(org["id"], "ada@example.com")
    org_app.invite(org["id"], "bob@example.com")
    accept(org_app, "ada@example.com", token)
    rows = org_app.client.get("/events", query_string={"limit": 200}).json["items"]
    kinds = sorted(row["type"] for row in rows if row["type"].startswith("invitation."))
    assert kinds == ["invitation.accepted", "invitation.created", "invitation.created"]
    assert all(token not in str(row["data"]) for row in rows)
    assert any(row["data"].get("invitation", {}).get("id") == invitation["id"] for row in rows)


@pytest.mark.postgres_only
def test_two_racing_accepts_of_one_invitation_make_one_member(org_app):
    """Exactly one of two simultaneous requests with the same token succeeds."""
    org = org_app.organization("acme")
    org_app.user("ada@example.com")
    _invitation, token = org_app.invite(org["id"], "ada@example.com")
    tokens = [org_app.sign_in("ada@example.com")["access_token"] for _ in range(2)]
    barrier, answers = threading.Barrier(2), []

    def attempt(access: str) -> None:
        client = org_app.app.test_client()
        headers = {"X-API-Key": org_app.client.key, "Authorization": f"Bearer {access}"}
        barrier.wait()
        answer = client.post("/api/v1/invitations/accept", json={"token": token}, headers=headers)
        answers.append(answer.status_code)

    threads = [threading.Thread(target=attempt, args=(access,)) for access in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(answers) in ([200, 409], [200, 422])
    members = org_app.client.get(f"/organizations/{org['id']}/members").json["items"]
    assert len(members) == 1
