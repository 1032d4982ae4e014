"""Tenant settings used by hosted pages and mail: redirect URLs, framing, sender, and
how sign-up answers for an address that has an account."""

from __future__ import annotations

import re
from email.headerregistry import Address
from typing import Any
from urllib.parse import urlsplit

from authsvc.auth.tenant_policy import REGISTRATION_CONFLICT_CHOICES

# An origin that may embed hosted pages: scheme, host (optionally "*." wildcard), port.
FRAME_ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9.-]+(:\d{1,5})?$")
MAX_ENTRIES = 50


def redirect_url_problem(url: Any) -> str | None:
    """Why ``url`` cannot be an allowed redirect URL, or None when it can."""
    if not isinstance(url, str) or len(url) > 2048:
        return f"{url!r} is not a URL."
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{url!r} must be an absolute http(s) URL."
    if parts.username or parts.password or parts.fragment or "\\" in url:
        return f"{url!r} must not carry credentials, a fragment or backslashes."
    return None


def check_hosted_settings(settings: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Add messages to ``errors`` for bad ``redirect_urls``, ``frame_ancestors``, sender,
    ``auth.registration_conflict``."""
    urls = settings.get("redirect_urls") or []
    problems = [p for p in map(redirect_url_problem, urls) if p]
    if len(urls) > MAX_ENTRIES:
        problems.append(f"At most {MAX_ENTRIES} redirect URLs.")
    if problems:
        errors["settings.redirect_urls"] = problems
    bad = [o for o in settings.get("frame_ancestors") or [] if not FRAME_ORIGIN.match(str(o))]
    if bad:
        errors["settings.frame_ancestors"] = [
            f"{o!r} is not an origin like https://app.example.com." for o in bad
        ]
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
