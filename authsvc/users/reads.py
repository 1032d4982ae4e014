"""The user read model: one typed row per user, read by one select.

Every reader of a user outside the write paths gets a :class:`UserRow`:
sign-in, ``GET /me``, the user API's item and list, and the ``user`` object
of webhook and audit payloads (:meth:`UserRow.payload`). The row's fields are
the column list: :func:`select_user_rows` selects exactly them, so adding a
field to the row adds it to every reader at once. The statements are ordinary
ORM-enabled selects run through the session, so :mod:`authsvc.tenancy` scopes
them like any other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from authsvc.errors import NotFound
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.pagination import Page, decode_cursor, encode_cursor
from authsvc.users.emails import login_key
from authsvc.users.models import Role, User, UserRole


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user as every reader sees it; field names are the ``User`` attributes they come
    from. Never the password hash: sign-in selects that next to the row."""

    id: uuid.UUID
    tenant_id: uuid.UUID
    email: str
    email_normalized: str
    username: str | None
    username_normalized: str | None
    display_name: str | None
    avatar_url: str | None
    locale: str | None
    is_verified: bool
    is_active: bool
    user_metadata: dict[str, Any]
    external_user_id: str | None
    preferences: dict[str, Any]
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime
    roles: tuple[str, ...]

    def payload(self) -> dict[str, Any]:
        """The user as the API and event payloads show it (``user_out``)."""
        return {
            "id": str(self.id),
            "email": self.email,
            "username": self.username,
            "display_name": self.display_name,
            "avatar_url": self.avatar_url,
            "locale": self.locale,
            "is_verified": self.is_verified,
            "is_active": self.is_active,
            "roles": list(self.roles),
            "metadata": self.user_metadata,
            "external_user_id": self.external_user_id,
            "last_login_at": _iso(self.last_login_at),
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


#: The columns of a UserRow, in its field order: the one column list.
_COLUMNS = tuple(field.name for field in fields(UserRow) if field.name != "roles")


def select_user_rows(*extra: sa.ColumnElement[Any], users=User) -> sa.Select:
    """The user rows' select: :class:`UserRow`'s columns, then ``extra``, then
    ``role_name``, one result row per role (or one with no role).

    ``users`` may be an alias of ``User`` (a page of users); add WHERE and
    ORDER BY clauses to taste, and read the result with :func:`collect`.
    """
    return (
        sa.select(
            *(getattr(users, name) for name in _COLUMNS), *extra, Role.name.label("role_name")
        )
        .outerjoin(users.role_links)
        .outerjoin(UserRole.role)
    )


def collect(result: sa.Result) -> list[tuple[UserRow, tuple]]:
    """The rows of a :func:`select_user_rows` result, in order, each with its
    ``extra`` values."""
    found: dict[uuid.UUID, tuple[dict[str, Any], tuple, list[str]]] = {}
    width = len(_COLUMNS)
    for row in result:
        entry = found.get(row.id)
        if entry is None:
            values = dict(zip(_COLUMNS, row[:width], strict=True))
            entry = found[row.id] = (values, tuple(row[width:-1]), [])
        if row.role_name is not None:
            entry[2].append(row.role_name)
    return [
        (UserRow(**values, roles=tuple(sorted(roles))), extra)
        for values, extra, roles in found.values()
    ]


# Built once: /me and every user read run it, and building a SELECT costs more than
# SQLAlchemy's cached compilation of it.
_USER_BY_ID = select_user_rows().where(User.id == sa.bindparam("user_id"))


def read_user_row(user_id: str | uuid.UUID) -> UserRow:
    """One user of the bound tenant; NotFound otherwise (another tenant's included)."""
    params = {"user_id": parse_id(user_id, "user")}
    found = collect(db.session.execute(_USER_BY_ID, params))
    if not found:
        raise NotFound(f"No user with id {user_id}.")
    return found[0][0]


# The list filters as clauses with bound parameters: a listing's statement then
# has one shape per combination of filters, which SQLAlchemy compiles once.
FILTER_CLAUSES: dict[str, sa.ColumnElement[bool]] = {
    "email": User.email_normalized == sa.bindparam("f_email"),
    "username": User.username_normalized == sa.bindparam("f_username"),
    "is_verified": User.is_verified == sa.bindparam("f_is_verified"),
    "is_active": User.is_active == sa.bindparam("f_is_active"),
    "q": sa.or_(
        User.email_normalized.like(sa.bindparam("f_q"), escape="\\"),
        User.username_normalized.like(sa.bindparam("f_q"), escape="\\"),
        sa.func.lower(User.display_name).like(sa.bindparam("f_q"), escape="\\"),
    ),
    # The panel's search: anywhere in email, username or name ("hopper" finds Grace Hopper).
    "contains": sa.or_(
        User.email_normalized.like(sa.bindparam("f_contains"), escape="\\"),
        User.username_normalized.like(sa.bindparam("f_contains"), escape="\\"),
        sa.func.lower(User.display_name).like(sa.bindparam("f_contains"), escape="\\"),
    ),
}


def user_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The list filters in use (email, username, flags, prefix search ``q``, substring
    search ``contains``) and
    their parameter values, keyed ``f_<name>``; see ``FILTER_CLAUSES``."""
    values: dict[str, Any] = {}
    if filters.get("email"):
        values["f_email"] = login_key(filters["email"])
    if filters.get("username"):
        values["f_username"] = filters["username"].lower()
    for flag in ("is_verified", "is_active"):
        if filters.get(flag) is not None:
            values[f"f_{flag}"] = bool(filters[flag])
    if filters.get("q"):
        values["f_q"] = _escape_like(filters["q"].strip().lower()) + "%"
    if filters.get("contains"):
        values["f_contains"] = "%" + _escape_like(filters["contains"].strip().lower()) + "%"
    return values


def filter_clauses(keys: Iterable[str]) -> list[sa.ColumnElement[bool]]:
    """The clauses for the ``f_<name>`` keys of :func:`user_filters`' values."""
    return [FILTER_CLAUSES[key.removeprefix("f_")] for key in sorted(keys)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Every id is a UUIDv7, greater than the nil UUID: the first page starts after it.
_BEFORE_ALL_IDS = uuid.UUID(int=0)


def read_users_page(filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    """A page of user rows (oldest first); ``filters`` are :func:`user_filters`' values."""
    after = decode_cursor(cursor) if cursor else _BEFORE_ALL_IDS
    # The page is limited in a subquery: limiting the joined rows would cut a
    # user's roles short.
    page = aliased(
        User,
        sa.select(User)
        .where(*filter_clauses(filters), User.id > after)
        .order_by(User.id)
        .limit(limit + 1)
        .subquery("page"),
    )
    statement = select_user_rows(users=page).order_by(page.id)
    rows = [row for row, _extra in collect(db.session.execute(statement, filters))]
    more = len(rows) > limit
    return Page(rows[:limit], encode_cursor(rows[limit - 1].id) if more else None)
