"""URLs and origins in tenant settings: parsed strictly, and rendered from their parts.

Rationale: these values end up in response headers (CSP ``form-action`` and
``frame-ancestors``, CORS) and in redirects. A lenient parser accepted
``https://x.test;script-src-elem *;/cb`` as a redirect URL, and its "origin"
carried a CSP directive into the header. So a setting is refused unless it
is plain: ASCII (an internationalised host in its ``xn--`` form), no
whitespace, control characters, ``;``, ``,``, quotes, backslashes or angle
brackets, http or https (https in production, except for loopback hosts),
a host that is a DNS name or an IP address, and no user info. Headers are
then built from :class:`Origin` values, never from the stored text.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from flask import current_app, has_app_context

MAX_URL_LENGTH = 2048
UNSAFE = re.compile(r"[\x00-\x20\x7f;,'\"`\\<>]")
# What a URL given at run time (a return_to) may not contain: it goes into a Location
# header, never into a policy, so only what splits headers or URLs is refused.
UNSAFE_IN_CANDIDATE = re.compile(r"[\x00-\x20\x7f\\]")
LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "[::1]"}


class UrlRefused(ValueError):
    """A value that may not be used as a URL or origin; the message says why."""


@dataclass(frozen=True)
class Origin:
    """``scheme://host[:port]``: all that a CSP or CORS header may carry of a URL."""

    scheme: str
    host: str  # lower-case ASCII; IPv6 in brackets; "*." prefix only for frame ancestors
    port: int | None = None

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"{self.scheme}://{self.host}{port}"


def is_host_name(name: str) -> bool:
    """Whether ``name`` is a lower-case ASCII DNS name (``xn--`` labels for IDNs)."""
    return len(name) <= 253 and all(LABEL.match(label) for label in name.split("."))


def https_required() -> bool:
    """Whether settings must use https (production; development and tests may use http)."""
    return has_app_context() and current_app.config.get("ENV") == "production"


def _host(parts: SplitResult, value: str, wildcard: bool) -> str:
    if parts.netloc.startswith("["):
        try:
            return f"[{ipaddress.IPv6Address(parts.hostname or '').compressed}]"
        except ValueError:
            raise UrlRefused(f"{value!r} has an invalid IPv6 address.") from None
    host = (parts.hostname or "").rstrip(".")
    if re.fullmatch(r"[0-9.]+", host):
        try:
            return str(ipaddress.IPv4Address(host))
        except ValueError:
            raise UrlRefused(f"{value!r} has an invalid IPv4 address.") from None
    name = host[2:] if wildcard and host.startswith("*.") and host.count(".") > 1 else host
    if not is_host_name(name):
        raise UrlRefused(f"{value!r} has no valid host name.")
    return host


def parse_url(
    value: Any, *, https_only: bool, wildcard: bool = False, strict: bool = True
) -> tuple[Origin, SplitResult]:
    """The origin and parts of an absolute http(s) URL, or :class:`UrlRefused`.

    ``strict`` (settings) also refuses ``;``, ``,``, quotes and angle brackets.
    """
    if not isinstance(value, str) or not value or len(value) > MAX_URL_LENGTH:
        raise UrlRefused(f"{value!r} is not a URL.")
    if not value.isascii() or (UNSAFE if strict else UNSAFE_IN_CANDIDATE).search(value):
        raise UrlRefused(
            f"{value!r} must not contain spaces, control characters, quotes, ';', ',', "
            "backslashes, angle brackets or non-ASCII characters (write hosts as xn--...)."
        )
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UrlRefused(f"{value!r} must be an absolute http(s) URL.")
    if "@" in parts.netloc:
        raise UrlRefused(f"{value!r} must not carry user names or passwords.")
    try:
        port = parts.port
    except ValueError:
        raise UrlRefused(f"{value!r} has an invalid port.") from None
    origin = Origin(parts.scheme, _host(parts, value, wildcard), port)
    if https_only and origin.scheme == "http" and origin.host not in LOOPBACK_HOSTS:
        raise UrlRefused(f"{value!r} must use https://.")
    return origin, parts


def parse_origin(value: Any, *, https_only: bool, wildcard: bool = False) -> Origin:
    """An origin setting (``https://app.example.com[:port]``, nothing after it)."""
    origin, parts = parse_url(value, https_only=https_only, wildcard=wildcard)
    if parts.path or parts.query or parts.fragment or value.endswith(("?", "#")):
        raise UrlRefused(f"{value!r} is not an origin like https://app.example.com.")
    return origin


def parse_redirect_url(value: Any, *, https_only: bool) -> tuple[Origin, SplitResult]:
    """A redirect URL setting: an absolute http(s) URL without a fragment."""
    origin, parts = parse_url(value, https_only=https_only)
    if parts.fragment or value.endswith("#"):
        raise UrlRefused(f"{value!r} must not have a fragment (#...).")
    return origin, parts


def origins_of(values: Iterable[Any], *, wildcard: bool = False) -> list[Origin]:
    """The distinct origins of stored settings; a value stored before these checks
    that does not parse is left out rather than copied into a header."""
    found: list[Origin] = []
    for value in values:
        try:
            origin, _parts = parse_url(value, https_only=False, wildcard=wildcard)
        except UrlRefused:
            continue
        if origin not in found:
            found.append(origin)
    return found


# Settings holding origins: name -> whether "*." hosts are allowed (CSP allows them).
ORIGIN_SETTINGS = {"cors_origins": False, "frame_ancestors": True}
MAX_ENTRIES = 50


def check_url_settings(settings: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """Add messages to ``errors`` for bad ``cors_origins``, ``frame_ancestors`` and
    ``redirect_urls`` entries."""
    https_only = https_required()
    for name, wildcard in ORIGIN_SETTINGS.items():
        for value in settings.get(name) or []:
            try:
                parse_origin(value, https_only=https_only, wildcard=wildcard)
            except UrlRefused as refused:
                errors.setdefault(f"settings.{name}", []).append(str(refused))
    urls = settings.get("redirect_urls") or []
    for value in urls:
        try:
            parse_redirect_url(value, https_only=https_only)
        except UrlRefused as refused:
            errors.setdefault("settings.redirect_urls", []).append(str(refused))
    if len(urls) > MAX_ENTRIES:
        errors.setdefault("settings.redirect_urls", []).append(
            f"At most {MAX_ENTRIES} redirect URLs."
        )
