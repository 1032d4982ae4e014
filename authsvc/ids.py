"""Parsing public identifiers from URLs and bodies."""

from __future__ import annotations

import uuid

from authsvc.errors import NotFound


def parse_id(raw: str | uuid.UUID, what: str = "resource") -> uuid.UUID:
    """A UUID from a path segment; anything else is simply not found."""
    if isinstance(raw, uuid.UUID):
        return raw
    try:
        return uuid.UUID(raw)
    except (ValueError, AttributeError, TypeError):
        raise NotFound(f"No {what} with id {raw!r}.") from None
