"""Mail asked for an address in a request and composed by the worker, off the request path.

Rationale: forgot-password and resend-verification must not tell anyone
whether an address has an account, neither by their answer nor by how long
they take to give it. Looking the address up, issuing a token and rendering a
themed mail is work that only a known address would cost. So the request
stages one :class:`MailRequest` row (kind and normalised address) and
nothing else, the same for every address; the ``mail`` job composes it later
with the composer registered for its kind, which looks the address up and
queues a message to the outbox, or nothing (no such account, cap reached).

A request is claimed by deleting it in the transaction that stages its mail,
so two workers never compose it twice, and a composer that fails leaves it
for the next run. Requests older than ``STALE_SECONDS`` are dropped unread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.mail.models import MailRequest
from authsvc.tenancy import platform_scope, tenant_context

log = logging.getLogger(__name__)

EXTENSION = "authsvc.mail.composers"
BATCH_SIZE = 50
STALE_SECONDS = 3600

#: ``composer(address)`` stages mail (or nothing) for a normalised address, under
#: the request's tenant; the caller commits.
Composer = Callable[[str], None]


def register_composer(app: Flask, kind: str, composer: Composer) -> None:
    """Compose requests of ``kind`` with ``composer`` (call from a subsystem's ``init_app``)."""
    composers: dict[str, Composer] = app.extensions.setdefault(EXTENSION, {})
    if kind in composers:
        raise ValueError(f"mail kind {kind!r} already has a composer")
    composers[kind] = composer


def request_mail(kind: str, address: str) -> None:
    """Stage a request for ``kind`` mail to ``address`` in the bound tenant; the caller commits."""
    db.session.add(MailRequest(kind=kind, address=address))


def compose_requested(app: Flask) -> int:
    """Compose a batch of requests, oldest first; returns how many were composed or dropped."""
    with app.app_context():
        with platform_scope():
            due = db.session.execute(
                sa.select(MailRequest.tenant_id, MailRequest.id)
                .order_by(MailRequest.created_at)
                .limit(BATCH_SIZE)
            ).all()
        db.session.rollback()
        composers: dict[str, Composer] = app.extensions.get(EXTENSION, {})
        handled = 0
        for tenant_id, request_id in due:
            with tenant_context(tenant_id):
                handled += _compose(request_id, composers)
        return handled


def _compose(request_id, composers: dict[str, Composer]) -> int:
    claimed = db.session.execute(
        sa.delete(MailRequest)
        .where(MailRequest.id == request_id)
        .returning(MailRequest.kind, MailRequest.address, MailRequest.created_at)
    ).first()
    if claimed is None:  # another worker took it
        db.session.rollback()
        return 0
    kind, address, created_at = claimed
    composer = composers.get(kind)
    try:
        if composer is None:
            log.warning("mail request %s of unknown kind %s dropped", request_id, kind)
        elif created_at < utcnow() - timedelta(seconds=STALE_SECONDS):
            log.warning("mail request %s (%s) dropped unsent after an hour", request_id, kind)
        else:
            composer(address)
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("mail request %s (%s) failed; it stays for the next run", request_id, kind)
        return 0
    return 1
