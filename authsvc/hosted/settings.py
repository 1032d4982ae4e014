"""Tenant settings used by hosted pages and mail: the sender, and how sign-up answers for
an address that has an account (URLs: authsvc.tenants.urls)."""

from __future__ import annotations

from email.headerregistry import Address
from typing import Any

from authsvc.auth.tenant_policy import REGISTRATION_CONFLICT_CHOICES


def check_hosted_settings(settings: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Add messages to ``errors`` for a bad sender name or address, or
    ``auth.registration_conflict``."""
    address = settings.get("mail_from_address")
    if address:
        try:
            Address(addr_spec=address)
        except (ValueError, IndexError):
            errors["settings.mail_from_address"] = [f"{address!r} is not an email address."]
    conflict = (settings.get("auth") or {}).get("registration_conflict", "409")
    if conflict not in REGISTRATION_CONFLICT_CHOICES:
        errors["settings.auth.registration_conflict"] = [
            f"Choose one of {', '.join(REGISTRATION_CONFLICT_CHOICES)}."
        ]
    name = settings.get("mail_from_name")
    if name and (len(name) > 100 or any(ch in name for ch in "\r\n")):
        errors["settings.mail_from_name"] = ["Give a name of at most 100 characters."]
