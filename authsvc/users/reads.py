"""Users as the API shows them, read with column queries rather than loaded as objects.

Rationale: the read endpoints are the API's hottest paths, and building ORM
objects (identity map, instance state, the role-link collection) costs several
times the query itself. These functions select only the columns the API shows,
still through the session and with ORM attributes, so :mod:`authsvc.tenancy`
scopes them exactly like every other statement. Writes keep using the model
objects and :func:`authsvc.users.service.user_payload`; a test keeps the two
shapes identical.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from authsvc.errors import NotFound
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.pagination import Page, decode_cursor, encode_cursor
from authsvc.users.emails import login_key
from authsvc.users.models import Role, User, UserRole

# The API's fields, in the API's order, minus roles (joined separately).
_COLUMNS = (
    User.id,
    User.email,
    User.username,
    User.display_name,
    User.avatar_url,
    User.is_verified,
    User.is_active,
    User.user_metadata,
    User.external_user_id,
    User.last_login_at,
    User.created_at,
    User.updated_at,
)
# Every id is a UUIDv7, greater than the nil UUID: the first page starts after it.
_BEFORE_ALL_IDS = uuid.UUID(int=0)
_ROLE_JOIN = (
    sa.and_(UserRole.tenant_id == User.tenant_id, UserRole.user_id == User.id),
    sa.and_(Role.tenant_id == UserRole.tenant_id, Role.id == UserRole.role_id),
)
# One user with one row per role (or one row with no role): a single round trip.
_ONE_USER = (
    sa.select(*_COLUMNS, Role.name)
    .outerjoin(UserRole, _ROLE_JOIN[0])
    .outerjoin(Role, _ROLE_JOIN[1])
    .where(User.id == sa.bindparam("user_id"))
)


def shape_user(row: Any, roles: list[str]) -> dict[str, Any]:
    """The API's user object from a row or a ``User`` (never the password hash).

    Built by hand rather than with restx's ``marshal``, which costs about a third
    of a list request; ``user_out`` documents the same fields, and a test keeps
    the two in step.
    """
    return {
        "id": str(row.id),
        "email": row.email,
        "username": row.username,
        "display_name": row.display_name,
        "avatar_url": row.avatar_url,
        "is_verified": row.is_verified,
        "is_active": row.is_active,
        "roles": roles,
        "metadata": row.user_metadata,
        "external_user_id": row.external_user_id,
        "last_login_at": _iso(row.last_login_at),
        "created_at": _iso(row.created_at),
        "updated_at": _iso(row.updated_at),
    }


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def read_user(user_id: str | uuid.UUID) -> dict[str, Any]:
    """One user of the bound tenant as the API shows it; NotFound otherwise."""
    rows = db.session.execute(_ONE_USER, {"user_id": parse_id(user_id, "user")}).all()
    if not rows:
        raise NotFound(f"No user with id {user_id}.")
    return shape_user(rows[0], sorted(row.name for row in rows if row.name is not None))


# The list filters as clauses with bound parameters, built once: a listing's
# statement then has one shape per combination of filters, compiled once.
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
}


def user_filters(filters: dict[str, Any]) -> dict[str, Any]:
    """The list filters in use (email, username, flags, prefix search ``q``) and
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
    return values


def filter_clauses(keys: Iterable[str]) -> list[sa.ColumnElement[bool]]:
    """The clauses for the ``f_<name>`` keys of :func:`user_filters`' values."""
    return [FILTER_CLAUSES[key.removeprefix("f_")] for key in sorted(keys)]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@lru_cache(maxsize=64)
def _page_statement(filters: tuple[str, ...]) -> sa.Select:
    """The page of users after ``:after``, joined to their roles; one per filter combination."""
    page = (
        sa.select(User.tenant_id, *_COLUMNS)
        .where(*filter_clauses(filters), User.id > sa.bindparam("after"))
        .order_by(User.id)
        .limit(sa.bindparam("page_size", type_=sa.Integer))
        .subquery("page")
    )
    return (
        # The page's tenant_id joins the roles but is not selected: one UUID less per row.
        sa.select(*(page.c[column.key] for column in _COLUMNS), Role.name.label("role_name"))
        .outerjoin(
            UserRole,
            sa.and_(UserRole.tenant_id == page.c.tenant_id, UserRole.user_id == page.c.id),
        )
        .outerjoin(Role, _ROLE_JOIN[1])
        .order_by(page.c.id)
    )


def read_users_page(filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    """A page of users (oldest first) as the API shows them; ``filters`` are the values
    from :func:`user_filters`. One statement, built once per
    combination of filters."""
    statement = _page_statement(tuple(sorted(filters)))
    after = decode_cursor(cursor) if cursor else _BEFORE_ALL_IDS
    params = {**filters, "after": after, "page_size": limit + 1}
    users: dict[uuid.UUID, tuple[Any, list[str]]] = {}
    for row in db.session.execute(statement, params):
        entry = users.get(row.id)
        if entry is None:
            entry = users[row.id] = (row, [])
        if row.role_name is not None:
            entry[1].append(row.role_name)
    rows = list(users.values())
    more = len(rows) > limit
    items = [shape_user(row, sorted(roles)) for row, roles in rows[:limit]]
    return Page(items, encode_cursor(rows[limit - 1][0].id) if more else None)
