"""Delivering queued mail: SMTP when configured, ``.eml`` files under the instance otherwise.

Rationale: delivery runs in the ``mail`` background job, never in a request.
Each message is first *claimed* by a conditional UPDATE that counts the
attempt and pushes ``next_attempt_at`` a lease into the future, and that claim
is committed before the network is touched. Two workers cannot send the same
message, and a worker that dies mid-send leaves a message that becomes due
again when the lease ends (at-least-once delivery). A failed send is retried
on the ``MAIL_RETRY_SCHEDULE`` back-off and stays visible (``status``,
``attempts``, ``last_error``); after the last retry it is marked ``failed``.
Log lines name the message and recipient, never a body.
"""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.mail.models import MailMessage
from authsvc.mail.requests import compose_requested
from authsvc.tenancy import platform_scope, tenant_context

log = logging.getLogger(__name__)

BATCH_SIZE = 50
LEASE_SECONDS = 300


def build_email(message: MailMessage) -> EmailMessage:
    """A multipart/alternative message: the text part, then the themed HTML part."""
    email = EmailMessage()
    email["From"] = message.sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(idstring=str(message.id))
    email.set_content(message.body_text or "")
    email.add_alternative(message.body_html or "", subtype="html")
    return email


def _send_smtp(email: EmailMessage, config) -> None:
    host, port, mode = config["SMTP_HOST"], config["SMTP_PORT"], config["SMTP_TLS"]
    timeout = config["MAIL_SMTP_TIMEOUT_SECONDS"]
    # Certificates are always verified: against the system's CAs, or a private relay's CA.
    context = ssl.create_default_context(cafile=config["SMTP_CA_FILE"] or None)
    if mode == "ssl":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if mode == "starttls":
            client.starttls(context=context)
        if config["SMTP_USERNAME"]:
            client.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
        client.send_message(email)


def _write_eml(email: EmailMessage, message: MailMessage) -> Path:
    """Write the message under ``<instance>/mail``, readable by the service's user only:
    a file may carry a live reset or verification link."""
    folder = Path(current_app.instance_path) / "mail"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    # mkdir's mode passes through the umask and leaves an existing folder as it was.
    os.chmod(folder, 0o700)
    path = folder / f"{utcnow():%Y%m%dT%H%M%S}-{message.id}.eml"
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
    with os.fdopen(os.open(path, flags, 0o600), "wb") as handle:
        # The same for the file's mode (and a file left by an earlier attempt keeps its own).
        os.fchmod(handle.fileno(), 0o600)
        handle.write(bytes(email))
    return path


def _claim(message_id, seen_due) -> MailMessage | None:
    """Take a due message for this worker, or None when another worker took it first."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(MailMessage)
        .where(
            MailMessage.id == message_id,
            MailMessage.status == "queued",
            MailMessage.next_attempt_at == seen_due,
        )
        .values(
            attempts=MailMessage.attempts + 1,
            next_attempt_at=now + timedelta(seconds=LEASE_SECONDS),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        return None
    return db.session.execute(
        sa.select(MailMessage)
        .where(MailMessage.id == message_id)
        .execution_options(populate_existing=True)
    ).scalar_one()


def _record_failure(message: MailMessage, error: Exception) -> None:
    schedule = current_app.config["MAIL_RETRY_SCHEDULE"]
    message.last_error = f"{type(error).__name__}: {error}"[:500]
    if message.attempts > len(schedule):
        message.status = "failed"
        message.body_text = message.body_html = None
        log.warning(
            "mail %s to %s failed for good after %d attempts",
            message.id,
            message.recipient,
            message.attempts,
        )
    else:
        delay = schedule[message.attempts - 1]
        message.next_attempt_at = utcnow() + timedelta(seconds=delay)
        log.info(
            "mail %s to %s failed (attempt %d), retrying in %ds",
            message.id,
            message.recipient,
            message.attempts,
            delay,
        )


def _deliver_one(message: MailMessage) -> None:
    config = current_app.config
    email = build_email(message)
    try:
        if config["SMTP_HOST"]:
            _send_smtp(email, config)
            log.info("mail %s (%s) sent to %s", message.id, message.template, message.recipient)
        else:
            path = _write_eml(email, message)
            log.info(
                "mail %s (%s) to %s written to %s",
                message.id,
                message.template,
                message.recipient,
                path,
            )
    except (smtplib.SMTPException, OSError) as exc:
        _record_failure(message, exc)
    else:
        message.status, message.sent_at, message.last_error = "sent", utcnow(), None
        message.body_text = message.body_html = None
    db.session.commit()


def deliver_due(app: Flask) -> int:
    """Compose requested mail, then send every message that is due (one batch of each);
    returns how many requests and messages were handled."""
    composed = compose_requested(app)
    with app.app_context():
        # Which tenants have mail due is a platform-level question; each message
        # is then claimed and sent under its own tenant.
        with platform_scope():
            due = db.session.execute(
                sa.select(MailMessage.tenant_id, MailMessage.id, MailMessage.next_attempt_at)
                .where(MailMessage.status == "queued", MailMessage.next_attempt_at <= utcnow())
                .order_by(MailMessage.next_attempt_at)
                .limit(BATCH_SIZE)
            ).all()
        db.session.rollback()
        handled = 0
        for tenant_id, message_id, seen_due in due:
            with tenant_context(tenant_id):
                message = _claim(message_id, seen_due)
                if message is not None:
                    _deliver_one(message)
                    handled += 1
        return composed + handled
