"""Changing one's email: a single-use link to the new address, a notice to the old one.

Rationale: the change applies only when someone who reads the new address opens
the link and confirms, so an account cannot be moved to an address its owner does
not control, and the old address hears of the request at once. Whether the new
address already belongs to another account of the tenant is told only on
confirmation, to whoever reads that address: a request is answered the same way
either way, which leaks no more than registration does (its notice also goes to
the address's owner only). Mail to either address is capped per recipient
(:mod:`authsvc.mail.caps`), so the form cannot flood an inbox.
"""

from __future__ import annotations

from flask import current_app

from authsvc.auth import onetime
from authsvc.auth.tenant_policy import tenant_auth
from authsvc.errors import Conflict, ValidationFailed
from authsvc.mail import caps, queue_mail
from authsvc.users.emails import clean_email
from authsvc.users.models import User
from authsvc.users.service import get_user, update_user

CHANGE = onetime.CHANGE_EMAIL
NOTICE = "email_change_notice"


def _link(slug: str, raw: str) -> str:
    base = current_app.config["BASE_URL"].rstrip("/")
    return f"{base}/t/{slug}/account/email/confirm?token={raw}"


def request_change(user: User, new_address: str) -> str:
    """Mail a confirmation link to ``new_address`` and a notice to the current one.

    Returns the new address as it will be stored. Raises ValidationFailed (field
    ``new_email``) for an address that is malformed or already the user's. The caller
    commits.
    """
    try:
        shown, key = clean_email(new_address)
    except ValidationFailed as error:
        raise ValidationFailed(errors={"new_email": error.extra["errors"]["email"]}) from error
    if key == user.email_normalized:
        raise ValidationFailed(errors={"new_email": ["This is already your email address."]})
    tenant = tenant_auth()
    ttl = tenant.policy.verify_token_ttl_seconds
    raw = onetime.issue(user, CHANGE, ttl, new_email=shown)
    # queue_mail adds the bound tenant (its name and slug) to the templates' context.
    context = {"user": user, "new_email": shown, "hours": ttl // 3600}
    if caps.allow(shown, CHANGE):
        link = _link(tenant.slug, raw)
        queue_mail(to=shown, template=CHANGE, context={**context, "link": link})
    if caps.allow(user.email, NOTICE):
        queue_mail(to=user.email, template=NOTICE, context=context)
    return shown


def confirm_change(raw: str) -> User:
    """Spend the link's token and move the account to its new address, now verified.

    Emits ``user.updated`` (``changed: ["email", "is_verified"]``) in the same transaction. Raises
    ValidationFailed for a bad or spent link and Conflict (field ``token``) when
    another account of the tenant took the address meanwhile.
    """
    token = onetime.consume(raw, CHANGE)
    user = get_user(token.user_id)
    onetime.void_all(user, CHANGE)
    try:
        return update_user(
            user, {"email": token.new_email, "is_verified": True}, actor=f"user:{user.id}"
        )
    except Conflict as error:
        raise Conflict(
            "This address already belongs to another account here; sign in to that "
            "account instead, or choose another address.",
            errors={"token": ["The address is taken."]},
        ) from error
