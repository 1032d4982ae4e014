"""Per-recipient caps on security mail: at most ``PER_HOUR`` mails of one kind an hour.

Reset links, verification links and sign-up notices can be asked for by
anyone who knows an address, from as many IPs or API keys as they like, so
per-IP rate limits cannot stop one inbox being flooded. The cap counts the
mails each recipient was sent, whoever asked. Counts live in Redis when
``REDIS_URL`` is configured (one counter per recipient and kind, shared by
every replica, starting its hour at the first mail); otherwise they are read
from the outbox itself (the recipient's mails of that template in the last
hour). Two workers composing for one recipient at the same instant may let
one mail more through on the database path.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.kv import redis_or_database
from authsvc.mail.models import MailMessage
from authsvc.mail.service import recipient_address
from authsvc.tenancy import current_tenant_id

PER_HOUR = 3
WINDOW_SECONDS = 3600


def allow(recipient: str, template: str) -> bool:
    """Count one ``template`` mail to ``recipient`` in the bound tenant; False past the cap."""
    recipient = recipient_address(recipient)
    return redis_or_database(
        lambda client: _allow_redis(client, recipient, template),
        lambda: _allow_db(recipient, template),
    )


def _allow_redis(client, recipient: str, template: str) -> bool:
    # Hashed: the key names the recipient without storing the address in Redis.
    digest = hashlib.sha256(recipient.encode()).hexdigest()
    key = f"authsvc:mailcap:{current_tenant_id()}:{template}:{digest}"
    pipe = client.pipeline()
    pipe.set(key, 0, ex=WINDOW_SECONDS, nx=True)
    pipe.incr(key)
    _created, count = pipe.execute()
    return count <= PER_HOUR


def _allow_db(recipient: str, template: str) -> bool:
    since = utcnow() - timedelta(seconds=WINDOW_SECONDS)
    sent = db.session.execute(
        sa.select(sa.func.count())
        .select_from(MailMessage)
        .where(
            MailMessage.recipient == recipient,
            MailMessage.template == template,
            MailMessage.created_at > since,
        )
    ).scalar_one()
    return sent < PER_HOUR
