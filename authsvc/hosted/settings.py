"""Tenant settings used by hosted pages and mail: the sender (URLs: authsvc.tenants.urls)."""

from __future__ import annotations

from email.headerregistry import Address
from typing import Any


def check_hosted_settings(settings: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Add messages to ``errors`` for a bad sender name or address."""
    address = settings.get("mail_from_address")
    if address:
        try:
            Address(addr_spec=address)
        except (ValueError, IndexError):
            errors["settings.mail_from_address"] = [f"{address!r} is not an email address."]
    name = settings.get("mail_from_name")
    if name and (len(name) > 100 or any(ch in name for ch in "\r\n")):
        errors["settings.mail_from_name"] = ["Give a name of at most 100 characters."]
