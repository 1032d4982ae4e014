"""Federation's part of a user's export and erasure: the user's identities at providers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.federation.models import IdentityProvider, SignInCode, UserIdentity
from authsvc.users.gdpr import Erasure, Section
from authsvc.users.models import User


def _identities(user: User) -> list[UserIdentity]:
    statement = sa.select(UserIdentity).where(UserIdentity.user_id == user.id)
    return list(db.session.execute(statement).scalars())


def export(user: User) -> list[dict[str, Any]]:
    providers = db.session.execute(sa.select(IdentityProvider.id, IdentityProvider.display_name))
    names = {provider_id: name for provider_id, name in providers}
    return [
        {
            "id": identity.id,
            "provider": names.get(identity.provider_id),
            "subject": identity.subject,
            "email": identity.email,
            "linked_at": identity.created_at,
        }
        for identity in _identities(user)
    ]


def personal(user: User) -> set[str]:
    """Providers' subjects and emails name the user in events and audit entries too."""
    return {value for i in _identities(user) for value in (i.subject, i.email) if value}


def erase(user: User, erasure: Erasure) -> None:
    """The identities go, and any one-time sign-in code still unspent (never exported:
    a code is a short-lived secret)."""
    for model in (SignInCode, UserIdentity):
        db.session.execute(
            sa.delete(model)
            .where(model.user_id == user.id)
            .execution_options(synchronize_session=False)
        )


SECTION = Section("identities", ("user_identities", "sign_in_codes"), export, erase, personal)
