"""Users' remembered decisions for applications ("grants"): the consent page records
them, ``/me/grants`` lists and revokes them. Revoking a grant also ends the sessions
the application holds for the user, so its refresh and access tokens stop working."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from authsvc import events
from authsvc.applications.models import Application, Consent
from authsvc.auth.tenant_policy import tenant_auth
from authsvc.errors import NotFound
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.sessions import service as sessions
from authsvc.sessions.models import Session


def _payload(consent: Consent) -> dict:
    return {
        "grant": {
            "id": str(consent.id),
            "user_id": str(consent.user_id),
            "application_id": str(consent.application_id),
            "scopes": list(consent.scopes),
        }
    }


def _find(user_id: uuid.UUID, application_id: uuid.UUID) -> Consent | None:
    return db.session.execute(
        sa.select(Consent).where(
            Consent.user_id == user_id, Consent.application_id == application_id
        )
    ).scalar_one_or_none()


def covers(user_id: uuid.UUID, application: Application, scopes: list[str]) -> bool:
    """Whether the user already agreed to give ``application`` all of ``scopes``."""
    consent = _find(user_id, application.id)
    return consent is not None and set(scopes) <= set(consent.scopes)


def remember(user_id: uuid.UUID, application: Application, scopes: list[str]) -> Consent:
    """Record (or widen) the user's grant to the application; the caller commits."""
    consent = _find(user_id, application.id)
    if consent is None:
        consent = Consent(id=uuid.uuid4(), user_id=user_id, application_id=application.id)
        consent.scopes = sorted(set(scopes))
        db.session.add(consent)
    else:
        consent.scopes = sorted(set(consent.scopes) | set(scopes))
    events.emit("grant.created", _payload(consent), actor=f"user:{user_id}")
    return consent


def list_grants(user_id: uuid.UUID) -> list[tuple[Consent, Application]]:
    rows = db.session.execute(
        sa.select(Consent, Application)
        .join(Application, Application.id == Consent.application_id)
        .where(Consent.user_id == user_id)
        .order_by(Consent.created_at, Consent.id)
    )
    return [(row.Consent, row.Application) for row in rows]


def revoke_grant(user_id: uuid.UUID, grant_id: str) -> None:
    """Forget the user's grant and end the application's sessions for the user."""
    consent = db.session.execute(
        sa.select(Consent).where(
            Consent.id == parse_id(grant_id, "grant"), Consent.user_id == user_id
        )
    ).scalar_one_or_none()
    if consent is None:
        raise NotFound(f"No grant with id {grant_id}.")
    policy = tenant_auth().policy
    held = db.session.execute(
        sa.select(Session).where(
            Session.user_id == user_id,
            Session.application_id == consent.application_id,
            Session.revoked_at.is_(None),
        )
    ).scalars()
    for session in list(held):
        sessions.revoke(session, "grant_revoked", policy, actor=f"user:{user_id}")
    events.emit("grant.revoked", _payload(consent), actor=f"user:{user_id}")
    db.session.delete(consent)
    db.session.commit()
