"""Authentication's part of a user's export and erasure: MFA factors, one-time links, lockouts.

Secrets (TOTP seeds, recovery-code and token hashes) are never exported: they
prove nothing to the user and would weaken the account if the export leaked.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authsvc.auth.models import LoginThrottle, MfaFactor, OneTimeToken
from authsvc.extensions import db
from authsvc.users.gdpr import Erasure, Section
from authsvc.users.models import User


def _throttle_subjects(user: User) -> list[str]:
    # The account's failure counters are keyed by each of its names (see throttle.subjects).
    names = [user.email_normalized, user.username_normalized]
    return [f"acct:{name}" for name in names if name]


def export(user: User) -> dict[str, Any]:
    factors = db.session.execute(sa.select(MfaFactor).where(MfaFactor.user_id == user.id))
    links = db.session.execute(sa.select(OneTimeToken).where(OneTimeToken.user_id == user.id))
    throttles = db.session.execute(
        sa.select(LoginThrottle).where(LoginThrottle.subject.in_(_throttle_subjects(user)))
    )
    return {
        "mfa_factors": [
            {"id": f.id, "confirmed_at": f.confirmed_at, "created_at": f.created_at}
            for f in factors.scalars()
        ],
        "one_time_links": [
            {"purpose": t.purpose, "created_at": t.created_at, "used_at": t.used_at}
            for t in links.scalars()
        ],
        "failed_sign_in_counters": [
            {"failures": t.failures, "lockouts": t.lockouts, "locked_until": t.locked_until}
            for t in throttles.scalars()
        ],
    }


def erase(user: User, erasure: Erasure) -> None:
    for statement in (
        sa.delete(MfaFactor).where(MfaFactor.user_id == user.id),
        sa.delete(OneTimeToken).where(OneTimeToken.user_id == user.id),
        sa.delete(LoginThrottle).where(LoginThrottle.subject.in_(_throttle_subjects(user))),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))


SECTION = Section(
    "authentication", ("mfa_factors", "one_time_tokens", "login_throttles"), export, erase
)
