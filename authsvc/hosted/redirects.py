"""``return_to`` validation: only URLs the tenant allowed, so hosted pages are no open redirect.

A candidate is accepted when, once its path is normalised, it equals one of
the tenant's ``redirect_urls`` or lies under one at a path boundary
(``https://app.example.com/cb`` allows ``/cb`` and ``/cb/x?y=1`` but not
``/cbx``), with exactly the same scheme, host and port. Normalising does what
a browser does before it sends the request: ``.`` and ``..`` segments are
resolved, percent-encoded ones too (``%2e%2e``, ``.%2E``), so ``/cb/../admin``
is compared as ``/admin``, and the user is sent to the normalised URL, the
one that was checked. A candidate with an encoded slash or backslash
(``..%2f``, ``%5c``) is refused, because servers disagree about whether those
separate segments; so is anything with credentials, backslashes, control
characters, a fragment or a scheme other than http(s).
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlunsplit

from authsvc.tenants.urls import Origin, UrlRefused, origins_of, parse_redirect_url, parse_url

ENCODED_DOT = re.compile(r"%2e", re.IGNORECASE)
ENCODED_SEPARATOR = re.compile(r"%(2f|5c)", re.IGNORECASE)
DEFAULT_PORTS = {"http": 80, "https": 443}


def remove_dot_segments(path: str) -> str:
    """``path`` with ``.`` and ``..`` segments resolved (RFC 3986, section 5.2.4)."""
    segments = path.split("/")[1:] if path.startswith("/") else path.split("/")
    kept: list[str] = []
    for segment in segments:
        if segment == "..":
            if kept:
                kept.pop()
        elif segment != ".":
            kept.append(segment)
    if segments and segments[-1] in (".", ".."):
        kept.append("")  # "/a/b/.." is the directory "/a/"
    return "/" + "/".join(kept) if path.startswith("/") else "/".join(kept)


def _normalised_path(parts: SplitResult) -> str | None:
    if ENCODED_SEPARATOR.search(parts.path):
        return None
    return remove_dot_segments(ENCODED_DOT.sub(".", parts.path)) or "/"


def _same_origin(one: Origin, other: Origin) -> bool:
    def key(origin: Origin):
        return origin.scheme, origin.host, origin.port or DEFAULT_PORTS[origin.scheme]

    return key(one) == key(other)


def _under(path: str, query: str, allowed: SplitResult) -> bool:
    base = remove_dot_segments(allowed.path) or "/"
    if allowed.query:
        return (path, query) == (base, allowed.query)
    return path == base or path.startswith(base if base.endswith("/") else base + "/")


def _allowed(tenant) -> list[tuple[Origin, SplitResult]]:
    allowed = []
    for url in (tenant.settings or {}).get("redirect_urls") or []:
        try:
            allowed.append(parse_redirect_url(url, https_only=False))
        except UrlRefused:  # stored before the strict checks; never a target
            continue
    return allowed


def safe_return_to(tenant, value: str | None) -> str | None:
    """The normalised ``value`` when the tenant allows redirecting there, else None.

    Besides the tenant's redirect URLs, the one page of our own that a sign-in may
    return to is accepted, as its exact path: the resumption of a pending OAuth
    authorization request.
    """
    if not value:
        return None
    if value in _own_return_paths():
        return value
    try:
        origin, parts = parse_url(value, https_only=False, strict=False)
    except UrlRefused:
        return None
    path = _normalised_path(parts)
    if path is None or parts.fragment or value.endswith("#"):
        return None
    for allowed_origin, allowed in _allowed(tenant):
        if _same_origin(origin, allowed_origin) and _under(path, parts.query, allowed):
            return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))
    return None


def is_own_page(value: str | None) -> bool:
    """Whether ``value`` is the page of our own that a sign-in may return to (it needs a
    hosted session, where an application's URL gets a one-time code)."""
    return bool(value) and value in _own_return_paths()


def _own_return_paths() -> tuple[str, ...]:
    from flask import g, has_request_context

    from authsvc.hosted import page_url  # the pages import this module

    if not has_request_context() or "tenant" not in g:
        return ()
    return (page_url("oauth2_resume"),)


def redirect_origins(tenant) -> list[Origin]:
    """The origins of the tenant's redirect URLs (forms may end up there: CSP form-action)."""
    return origins_of((tenant.settings or {}).get("redirect_urls") or [])
