"""Cursor pagination over time-ordered ids: stable under concurrent inserts."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app

from authsvc.errors import ValidationFailed


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def encode_cursor(last_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(last_id.bytes).decode().rstrip("=")


def decode_cursor(cursor: str) -> uuid.UUID:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return uuid.UUID(bytes=raw)
    except (ValueError, binascii.Error) as exc:
        raise ValidationFailed(errors={"cursor": ["Not a cursor returned by this API."]}) from exc


def page_limit(raw: int | None) -> int:
    config = current_app.config
    limit = config["PAGINATION_DEFAULT_LIMIT"] if raw is None else raw
    if not 1 <= limit <= config["PAGINATION_MAX_LIMIT"]:
        raise ValidationFailed(
            errors={"limit": [f"Must be between 1 and {config['PAGINATION_MAX_LIMIT']}."]}
        )
    return limit


def paginate(session, statement: sa.Select, id_column, cursor: str | None, limit: int) -> Page:
    """Run ``statement`` ordered by ``id_column``, after ``cursor``, one page long."""
    if cursor:
        statement = statement.where(id_column > decode_cursor(cursor))
    result = session.execute(statement.order_by(id_column).limit(limit + 1))
    # unique(): statements may join-load collections (one row per child).
    rows = list(result.unique().scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].id) if more and rows else None)
