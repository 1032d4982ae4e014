"""The panel's user list: filters, sorting and keyset pages, a count, and an export walk.

Pages are keyset pages on ``(sort key, id)``: the cursor carries the last row's
sort value and id, so a page never repeats or skips a user when users are added
or removed between clicks (offset paging would). A never-signed-in user sorts
as if last seen at the epoch, so the sort key is never NULL and one comparison
serves every backend.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from authsvc.auth import throttle
from authsvc.auth.models import MfaFactor
from authsvc.errors import ValidationFailed
from authsvc.extensions import db
from authsvc.pagination import Page
from authsvc.users.models import Role, User, UserRole
from authsvc.users.reads import filter_clauses, user_filters

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SORTS: dict[str, Any] = {
    "created": User.created_at,
    "last_login": sa.func.coalesce(User.last_login_at, sa.literal(_EPOCH, User.last_login_at.type)),
    "email": User.email_normalized,
}


@dataclass(frozen=True)
class Listing:
    """What the list shows: ``filters`` as in :func:`reads.user_filters` plus ``mfa``,
    ``locked`` (booleans) and ``role`` (a role name); a sort and its direction."""

    filters: dict[str, Any] = field(default_factory=dict)
    sort: str = "created"
    descending: bool = False


def _has_mfa() -> sa.ColumnElement[bool]:
    return sa.exists().where(MfaFactor.user_id == User.id, MfaFactor.confirmed_at.is_not(None))


def _locked() -> sa.ColumnElement[bool]:
    keys = sorted(throttle.locked_accounts())
    return sa.or_(User.email_normalized.in_(keys), User.username_normalized.in_(keys))


def _has_role(name: str) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        UserRole.user_id == User.id, UserRole.role_id == Role.id, Role.name == name
    )


def _where(listing: Listing) -> tuple[list[sa.ColumnElement[bool]], dict[str, Any]]:
    values = user_filters(listing.filters)
    clauses = filter_clauses(values)
    flags = {"mfa": _has_mfa, "locked": _locked}
    for name, clause in flags.items():
        wanted = listing.filters.get(name)
        if wanted is not None:
            clauses.append(clause() if wanted else sa.not_(clause()))
    if listing.filters.get("role"):
        clauses.append(_has_role(listing.filters["role"]))
    return clauses, values


def count_users(listing: Listing) -> int:
    clauses, values = _where(listing)
    statement = sa.select(sa.func.count()).select_from(User).where(*clauses)
    return db.session.execute(statement.params(values)).scalar_one()


def list_users(listing: Listing, cursor: str | None, limit: int) -> Page:
    """One page of users (roles loaded) in the listing's order, after ``cursor``."""
    key = SORTS[listing.sort]
    clauses, values = _where(listing)
    if cursor:
        clauses.append(_after(key, listing, *_decode(cursor, listing.sort)))
    order = [key.desc(), User.id.desc()] if listing.descending else [key, User.id]
    statement = (
        sa.select(User, key.label("sort_key"))
        .where(*clauses)
        .options(joinedload(User.role_links).joinedload(UserRole.role))
        .order_by(*order)
        .limit(limit + 1)
    )
    rows = db.session.execute(statement.params(values)).unique().all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(rows[-1].sort_key, rows[-1].User.id) if more and rows else None
    return Page([row.User for row in rows], next_cursor)


def iter_pages(listing: Listing, batch: int = 500) -> Iterator[list[User]]:
    """Every user of the listing, in order, a page at a time (the CSV export).

    Each page's users leave the session after the caller used them: a long export
    must not keep every user in memory."""
    cursor = None
    while True:
        page = list_users(listing, cursor, batch)
        yield page.items
        for user in page.items:
            db.session.expunge(user)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _after(key, listing: Listing, value: Any, last_id: uuid.UUID) -> sa.ColumnElement[bool]:
    if listing.descending:
        return sa.or_(key < value, sa.and_(key == value, User.id < last_id))
    return sa.or_(key > value, sa.and_(key == value, User.id > last_id))


def _encode(value: Any, last_id: uuid.UUID) -> str:
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat() + "+00:00"
    raw = json.dumps([value, last_id.hex]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, last_id = json.loads(raw)
        if not isinstance(value, str) or not isinstance(last_id, str):
            raise ValueError("not a user-list cursor")
        if sort != "email":
            value = datetime.fromisoformat(value)
            if value.tzinfo is None:
                raise ValueError("a cursor's time has a zone")
        return value, uuid.UUID(hex=last_id)
    except (ValueError, TypeError, binascii.Error, RecursionError) as exc:
        raise ValidationFailed(errors={"cursor": ["Not a cursor returned by this page."]}) from exc


def page_flags(users: list[User]) -> dict[uuid.UUID, dict[str, bool]]:
    """MFA and lockout of a page of users, read in two queries rather than two per user."""
    ids = [user.id for user in users]
    statement = sa.select(MfaFactor.user_id).where(
        MfaFactor.user_id.in_(ids), MfaFactor.confirmed_at.is_not(None)
    )
    with_mfa = set(db.session.execute(statement).scalars()) if ids else set()
    locked = throttle.locked_accounts() if ids else set()
    return {
        user.id: {
            "mfa": user.id in with_mfa,
            "locked": user.email_normalized in locked or user.username_normalized in locked,
        }
        for user in users
    }
