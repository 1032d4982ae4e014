"""Mail's part of a user's export and erasure: messages and requests to the user's address.

Bodies are not exported: a queued message may carry a single-use link, and sent
ones have none left (they are erased once sent).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.mail.models import MailMessage, MailRequest
from authsvc.users.gdpr import Erasure, Section
from authsvc.users.models import User


def _addresses(user: User) -> list[str]:
    return sorted({user.email, user.email_normalized})


def export(user: User) -> list[dict[str, Any]]:
    statement = (
        sa.select(MailMessage)
        .where(MailMessage.recipient.in_(_addresses(user)))
        .order_by(MailMessage.created_at)
    )
    return [
        {
            "recipient": m.recipient,
            "subject": m.subject,
            "template": m.template,
            "status": m.status,
            "created_at": m.created_at,
            "sent_at": m.sent_at,
        }
        for m in db.session.execute(statement).scalars()
    ]


def erase(user: User, erasure: Erasure) -> None:
    addresses = _addresses(user)
    for statement in (
        sa.delete(MailMessage).where(MailMessage.recipient.in_(addresses)),
        sa.delete(MailRequest).where(MailRequest.address.in_(addresses)),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))


SECTION = Section("mail", ("mail_messages", "mail_requests"), export, erase)
