"""The emails the authentication flows send, composed by the mail worker.

The flows only request mail for a normalised address
(:func:`authsvc.mail.request_mail`), the same work whether or not the address
has an account; the composers here run in the worker, under the request's
tenant: they look the address up, apply the per-recipient cap
(:mod:`authsvc.mail.caps`), issue the single-use token and queue the themed
mail, or do nothing. Their writes commit together with the request's removal.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app

from authsvc.auth import onetime
from authsvc.auth.tenant_policy import policy_for
from authsvc.extensions import db
from authsvc.mail import caps, queue_mail, register_composer
from authsvc.tenancy import current_tenant_id
from authsvc.tenants.models import Tenant
from authsvc.users.service import find_user_by_email

#: Kinds of request, which are also the template names (and token purposes).
RESET = onetime.RESET
VERIFY = onetime.VERIFY
REGISTRATION_ATTEMPT = "registration_attempt"


def _page(tenant: Tenant, page: str, **query: str) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/t/{tenant.slug}/{page}" + (f"?{urlencode(query)}" if query else "")


def _recipient(address: str, template: str, wanted) -> tuple[Tenant, object] | None:
    """The bound tenant and the user at ``address`` if ``wanted(user)`` and the cap allows."""
    user = find_user_by_email(address)
    if user is None or not wanted(user) or not caps.allow(user.email, template):
        return None
    return db.session.get(Tenant, current_tenant_id()), user


def compose_password_reset(address: str) -> None:
    """A reset link for an active account at ``address``."""
    found = _recipient(address, RESET, lambda user: user.is_active)
    if found is None:
        return
    tenant, user = found
    ttl = policy_for(tenant).reset_token_ttl_seconds
    link = _page(tenant, "reset", token=onetime.issue(user, RESET, ttl))
    context = {"user": user, "tenant": tenant, "link": link, "minutes": ttl // 60}
    queue_mail(to=user.email, template=RESET, context=context)


def compose_verification(address: str) -> None:
    """A verification link for an unverified account at ``address``."""
    found = _recipient(address, VERIFY, lambda user: not user.is_verified)
    if found is None:
        return
    tenant, user = found
    ttl = policy_for(tenant).verify_token_ttl_seconds
    link = _page(tenant, "verify", token=onetime.issue(user, VERIFY, ttl))
    queue_mail(
        to=user.email, template=VERIFY, context={"user": user, "tenant": tenant, "link": link}
    )


def compose_registration_attempt(address: str) -> None:
    """Tell the owner of ``address`` that someone tried to sign up with it."""
    found = _recipient(address, REGISTRATION_ATTEMPT, lambda user: True)
    if found is None:
        return
    tenant, user = found
    context = {
        "user": user,
        "tenant": tenant,
        "login_link": _page(tenant, "login"),
        "reset_link": _page(tenant, "forgot-password"),
    }
    queue_mail(to=user.email, template=REGISTRATION_ATTEMPT, context=context)


def init_app(app: Flask) -> None:
    register_composer(app, RESET, compose_password_reset)
    register_composer(app, VERIFY, compose_verification)
    register_composer(app, REGISTRATION_ATTEMPT, compose_registration_attempt)
