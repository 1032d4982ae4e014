"""Queueing mail: render a themed template pair and stage it in the caller's transaction.

The message row is added to the current session under the bound tenant and
committed by the caller together with the change that caused it, so a
rolled-back change sends nothing and no mail is sent inside a request's
transaction; the ``mail`` background job delivers it afterwards.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import formataddr, parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app

from authsvc.errors import ValidationFailed
from authsvc.extensions import db
from authsvc.mail.models import MailMessage
from authsvc.tenancy import TenancyViolation, current_tenant_id
from authsvc.tenants.models import Tenant
from authsvc.themes.service import resolve_theme
from authsvc.themes.templating import tenant_templates

TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def _bound_tenant() -> Tenant:
    tenant_id = current_tenant_id()
    tenant = db.session.get(Tenant, tenant_id) if tenant_id else None
    if tenant is None:
        raise TenancyViolation("queue_mail needs a bound tenant")
    return tenant


def sender_for(tenant: Tenant) -> str:
    """The From header: the tenant's sender name/address settings over ``MAIL_SENDER``."""
    default_name, default_address = parseaddr(current_app.config["MAIL_SENDER"])
    settings = tenant.settings or {}
    name = settings.get("mail_from_name") or default_name or tenant.name
    address = settings.get("mail_from_address") or default_address
    return formataddr((name, address))


def render(tenant: Tenant, template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, text, html) of ``templates/email/<template>``, with tenant overrides."""
    if not TEMPLATE_NAME.match(template):
        raise ValueError(f"bad mail template name {template!r}")
    env = current_app.jinja_env
    variables = {
        **context,
        "tenant": context.get("tenant", tenant),
        "theme": resolve_theme(tenant, external=True),
    }
    with tenant_templates(tenant.slug):
        text_module = env.get_template(f"email/{template}.txt").make_module(variables)
        html = env.get_template(f"email/{template}.html").render(variables)
    subject = " ".join(str(getattr(text_module, "subject", "")).split())
    if not subject:
        raise ValueError(f"email/{template}.txt sets no subject")
    return subject, str(text_module).strip() + "\n", html


def recipient_address(to: str) -> str:
    """``to`` as the outbox stores it (its addr-spec); ValidationFailed if it is not one."""
    try:
        address = Address(addr_spec=to.strip())
    except (ValueError, IndexError) as exc:
        raise ValidationFailed(errors={"to": [f"{to!r} is not an email address."]}) from exc
    return address.addr_spec


def queue_mail(*, to: str, template: str, context: dict[str, Any]) -> MailMessage:
    """Render ``template`` for the bound tenant and stage the message; the caller commits."""
    tenant = _bound_tenant()
    subject, text, html = render(tenant, template, context)
    message = MailMessage(
        recipient=recipient_address(to),
        sender=sender_for(tenant),
        subject=subject[:300],
        body_text=text,
        body_html=html,
        template=template,
    )
    db.session.add(message)
    return message


def list_messages(status: str | None = None, limit: int = 50) -> list[MailMessage]:
    """The bound tenant's recent messages, newest first (for the admin panel)."""
    statement = sa.select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)
    if status:
        statement = statement.where(MailMessage.status == status)
    return list(db.session.execute(statement).scalars())
