"""The emails the authentication flows send, through the mail outbox.

Mail rows are staged in the caller's transaction, so an email goes out only
if the change that caused it commits; the mail worker sends it afterwards.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app


def _link(tenant, page: str, token: str) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/t/{tenant.slug}/{page}?{urlencode({'token': token})}"


def _queue(user, template: str, context: dict) -> None:
    from authsvc.mail.service import queue_mail

    queue_mail(to=user.email, template=template, context=context)


def send_verification(tenant, user, token: str) -> None:
    link = _link(tenant, "verify", token)
    _queue(user, "verify_email", {"user": user, "tenant": tenant, "link": link})


def send_password_reset(tenant, user, token: str, ttl_seconds: int) -> None:
    link = _link(tenant, "reset", token)
    context = {"user": user, "tenant": tenant, "link": link, "minutes": ttl_seconds // 60}
    _queue(user, "password_reset", context)
