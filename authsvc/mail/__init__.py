"""Transactional mail: a tenant-scoped outbox, themed templates and a delivery job.

``queue_mail`` (in :mod:`authsvc.mail.service`) stages a message with the
caller's change; ``request_mail`` (in :mod:`authsvc.mail.requests`) stages a
request that the worker composes later with a registered composer;
``deliver_due`` (in :mod:`authsvc.mail.delivery`) composes requests and sends
messages from the worker, registered here as the ``mail`` job.
"""

from __future__ import annotations

from flask import Flask

from authsvc.jobs import register_job
from authsvc.mail.delivery import deliver_due
from authsvc.mail.requests import register_composer, request_mail
from authsvc.mail.service import queue_mail

__all__ = ["deliver_due", "init_app", "queue_mail", "register_composer", "request_mail"]


def init_app(app: Flask) -> None:
    from authsvc.mail import gdpr
    from authsvc.users.gdpr import register_section

    register_job(app, "mail", deliver_due, app.config["MAIL_JOB_INTERVAL_SECONDS"])
    register_section(app, gdpr.SECTION)
