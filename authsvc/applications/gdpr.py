"""Applications' part of a user's export and erasure: grants and authorization codes."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authsvc.applications.models import Application, AuthorizationCode, Consent
from authsvc.extensions import db
from authsvc.users.gdpr import Erasure, Section
from authsvc.users.models import User


def export(user: User) -> list[dict[str, Any]]:
    """The applications the user granted access to (codes are short-lived secrets: out)."""
    grants = db.session.execute(
        sa.select(Consent, Application.name)
        .join(Application, Application.id == Consent.application_id)
        .where(Consent.user_id == user.id)
        .order_by(Consent.created_at)
    ).all()
    return [
        {"application": name, "scopes": grant.scopes, "granted_at": grant.created_at}
        for grant, name in grants
    ]


def erase(user: User, _erasure: Erasure) -> None:
    for model in (Consent, AuthorizationCode):
        db.session.execute(
            sa.delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )


SECTION = Section("grants", ("consents", "authorization_codes"), export, erase)
