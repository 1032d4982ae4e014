"""``return_to`` validation: only URLs the tenant allowed, so hosted pages are no open redirect.

A candidate is accepted when it equals one of the tenant's ``redirect_urls``,
or lies under one at a path boundary (``https://app.example.com/cb`` allows
``/cb`` and ``/cb/x?y=1`` but not ``/cbx``) with the same scheme, host and
port. Anything with credentials, backslashes, control characters or a scheme
other than http(s) is refused before comparing, because browsers and URL
parsers disagree about such URLs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from authsvc.hosted.settings import redirect_url_problem


def _origin(parts) -> tuple[str, str, int | None]:
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


def _under(candidate, allowed) -> bool:
    if _origin(candidate) != _origin(allowed):
        return False
    if allowed.query:
        return (candidate.path, candidate.query) == (allowed.path, allowed.query)
    base = allowed.path or "/"
    path = candidate.path or "/"
    return path == base or path.startswith(base if base.endswith("/") else base + "/")


def safe_return_to(tenant, value: str | None) -> str | None:
    """``value`` when the tenant allows redirecting there, else None."""
    if not value or any(ord(ch) < 0x21 for ch in value) or redirect_url_problem(value):
        return None
    try:
        candidate = urlsplit(value)
        allowed = [urlsplit(url) for url in (tenant.settings or {}).get("redirect_urls") or []]
        return value if any(_under(candidate, entry) for entry in allowed) else None
    except ValueError:  # e.g. a port out of range
        return None


def redirect_origins(tenant) -> list[str]:
    """The origins of the tenant's redirect URLs (forms may end up there: CSP form-action)."""
    origins = []
    for url in (tenant.settings or {}).get("redirect_urls") or []:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return origins
