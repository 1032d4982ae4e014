"""Cursor pagination over time-ordered ids: stable under concurrent inserts.

Oldest first (:func:`paginate`) by id; newest first (:func:`paginate_newest_first`)
by id, or by a time column with the id breaking ties, the cursor then carrying both.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _encode_time_cursor(at: datetime, last_id: uuid.UUID) -> str:
    micros = (at - _EPOCH) // timedelta(microseconds=1)
    raw = micros.to_bytes(8, "big", signed=True) + last_id.bytes
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_time_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        if len(raw) != 24:
            raise ValueError("not a time cursor")
        at = _EPOCH + timedelta(microseconds=int.from_bytes(raw[:8], "big", signed=True))
        return at, uuid.UUID(bytes=raw[8:])
    except (ValueError, OverflowError, binascii.Error) as exc:
        raise ValidationFailed(errors={"cursor": ["Not a cursor returned by this API."]}) from exc


def paginate_newest_first(
    session, statement: sa.Select, id_column, cursor: str | None, limit: int, time_column=None
) -> Page:
    """Run ``statement`` newest first, after ``cursor``, one page long.

    Ordered by ``id_column`` descending, or by ``time_column`` descending with
    ``id_column`` as the tie-break (rows of one instant keep one order, page after page).
    """
    if time_column is None:
        if cursor:
            statement = statement.where(id_column < decode_cursor(cursor))
        order = [id_column.desc()]
    else:
        if cursor:
            at, last_id = _decode_time_cursor(cursor)
            statement = statement.where(
                sa.or_(time_column < at, sa.and_(time_column == at, id_column < last_id))
            )
        order = [time_column.desc(), id_column.desc()]
    rows = list(session.execute(statement.order_by(*order).limit(limit + 1)).unique().scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    if not (more and rows):
        return Page(rows, None)
    last = rows[-1]
    if time_column is None:
        return Page(rows, encode_cursor(last.id))
    return Page(rows, _encode_time_cursor(getattr(last, time_column.key), last.id))
