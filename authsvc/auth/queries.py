"""Prebuilt Core statements for the authentication hot paths, always bound to the tenant.

Rationale: sign-in, refresh and ``/me`` run far more often than anything
else, and each ORM statement cost them about half a millisecond of CPU
(building the statement, the tenancy criteria, ORM compilation and result
processing). The statements here are built once, at import, with the tenant
as a bound parameter; :func:`run` hands them to
:func:`authsvc.tenancy.execute_scoped`, which supplies the tenant bound to the
request or job, refuses to run with none, and proves on first use that every
tenant-owned table a statement touches is tied to it, so isolation still does
not depend on the call site. They run on the ORM session's connection, inside its
transaction, so they commit (or roll back) with everything else.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy import bindparam as param
from sqlalchemy.dialects import postgresql, sqlite

from authsvc.auth.models import LoginThrottle, MfaFactor
from authsvc.db import new_id, utcnow
from authsvc.extensions import db
from authsvc.sessions.models import RefreshToken, Session
from authsvc.tenancy import execute_scoped, read_scoped

# Imported for its table: a tenant_id column takes its type from its foreign key to
# tenants.id, so until that table exists the ``:tenant`` parameters compared with
# tenant_id here would be untyped (and SQLite refuses a raw UUID).
from authsvc.tenants.models import Tenant  # noqa: F401
from authsvc.users.models import Role, User, UserRole

_users, _roles, _links = User.__table__, Role.__table__, UserRole.__table__
_sessions, _refresh = Session.__table__, RefreshToken.__table__
_throttles, _factors = LoginThrottle.__table__, MfaFactor.__table__

PROFILE_COLUMNS = (
    "id",
    "email",
    "username",
    "display_name",
    "avatar_url",
    "is_verified",
    "is_active",
    "metadata",
    "external_user_id",
    "last_login_at",
    "created_at",
    "updated_at",
    "preferences",
)
LOGIN_COLUMNS = (
    "id",
    "tenant_id",
    "email",
    "email_normalized",
    "username_normalized",
    "password_hash",
    "is_active",
    "is_verified",
)
TOKEN_COLUMNS = ("id", "tenant_id", "email", "is_active")


def _with_roles(columns: tuple[str, ...], where, *extra) -> sa.Select:
    """A user's columns and, one row per role, the role's name (``role_name``)."""
    links = _links.outerjoin(
        _roles, sa.and_(_roles.c.tenant_id == _links.c.tenant_id, _roles.c.id == _links.c.role_id)
    )
    joined = _users.outerjoin(
        links, sa.and_(_links.c.tenant_id == _users.c.tenant_id, _links.c.user_id == _users.c.id)
    )
    return (
        sa.select(*(_users.c[name] for name in columns), _roles.c.name.label("role_name"), *extra)
        .select_from(joined)
        .where(_users.c.tenant_id == param("tenant"), where)
    )


# Sign-in must know whether a confirmed TOTP factor guards the account.
_MFA_ON = (
    sa.exists()
    .where(
        _factors.c.tenant_id == _users.c.tenant_id,
        _factors.c.user_id == _users.c.id,
        _factors.c.confirmed_at.is_not(None),
    )
    .label("mfa_on")
)


USER_BY_ID = {
    "profile": _with_roles(PROFILE_COLUMNS, _users.c.id == param("user_id")),
    "token": _with_roles(TOKEN_COLUMNS, _users.c.id == param("user_id")),
}
USER_BY_EMAIL = _with_roles(LOGIN_COLUMNS, _users.c.email_normalized == param("login"), _MFA_ON)
USER_BY_USERNAME = _with_roles(
    LOGIN_COLUMNS, _users.c.username_normalized == param("login"), _MFA_ON
)

SPEND_REFRESH = (
    _refresh.update()
    .where(_refresh.c.tenant_id == param("tenant"), _refresh.c.token_hash == param("digest"))
    .where(_refresh.c.used_at.is_(None))
    .values(used_at=param("now"))
    .returning(_refresh.c.session_id)
)
FIND_REFRESH = sa.select(_refresh.c.session_id, _refresh.c.used_at).where(
    _refresh.c.tenant_id == param("tenant"), _refresh.c.token_hash == param("digest")
)


def _refresh_insert(id_: str, session_id: str, digest: str, now: str) -> sa.Insert:
    """A refresh-token row for the bound tenant, from the parameters named."""
    return _refresh.insert().values(
        tenant_id=param("tenant"),
        id=param(id_),
        session_id=param(session_id),
        token_hash=param(digest),
        created_at=param(now),
    )


INSERT_REFRESH = _refresh_insert("id", "session_id", "digest", "now")
TOUCH_SESSION = (
    _sessions.update()
    .where(_sessions.c.tenant_id == param("tenant"), _sessions.c.id == param("session_id"))
    .where(_sessions.c.revoked_at.is_(None), _sessions.c.expires_at > param("now"))
    .values(last_seen_at=param("now"))
    .returning(_sessions.c.user_id)
)


def _rotate_in_one() -> sa.Select:
    """PostgreSQL: spend, touch, issue the next token and read the user in one statement.

    Data-modifying CTEs: the token is spent only if unused, the session touched
    only if the token was spent and the session is active, the next token
    inserted only if the session was touched; the result is the touched
    session with its user, one row per role, or nothing.
    """
    spent = SPEND_REFRESH.cte("spent")
    touched = (
        _sessions.update()
        .where(_sessions.c.tenant_id == param("tenant"), _sessions.c.id == spent.c.session_id)
        .where(_sessions.c.revoked_at.is_(None), _sessions.c.expires_at > param("now"))
        .values(last_seen_at=param("now"))
        .returning(_sessions.c.id, _sessions.c.user_id)
        .cte("touched")
    )
    typed = {name: _refresh.c[name].type for name in ("tenant_id", "id", "created_at")}
    issued = _refresh.insert().from_select(
        ["tenant_id", "id", "session_id", "token_hash", "created_at"],
        sa.select(
            param("tenant", type_=typed["tenant_id"]),
            param("next_id", type_=typed["id"]),
            touched.c.id,
            param("next_digest", type_=_refresh.c.token_hash.type),
            param("now", type_=typed["created_at"]),
        ).select_from(touched),
    )
    user = sa.and_(_users.c.tenant_id == param("tenant"), _users.c.id == touched.c.user_id)
    link = sa.and_(_links.c.tenant_id == _users.c.tenant_id, _links.c.user_id == _users.c.id)
    role = sa.and_(_roles.c.tenant_id == _links.c.tenant_id, _roles.c.id == _links.c.role_id)
    return (
        sa.select(
            touched.c.id.label("session_id"),
            *(_users.c[name] for name in TOKEN_COLUMNS),
            _roles.c.name.label("role_name"),
        )
        .select_from(touched.join(_users, user).outerjoin(_links, link).outerjoin(_roles, role))
        .add_cte(issued.cte("issued"))
    )


ROTATE = _rotate_in_one()
SESSION_COLUMNS = (
    "id",
    "user_id",
    "device_id",
    "device_name",
    "device_type",
    "browser",
    "os",
    "ip",
    "user_agent",
    "expires_at",
)


def _session_insert(prefix: str = "") -> sa.Insert:
    """A session row for the bound tenant; parameters named ``<prefix><column>``."""
    return _sessions.insert().values(
        tenant_id=param("tenant"),
        created_at=param(f"{prefix}now"),
        last_seen_at=param(f"{prefix}now"),
        **{name: param(f"{prefix}{name}") for name in SESSION_COLUMNS},
    )


def _open_session_parts() -> tuple[sa.Insert, sa.Insert, sa.Update]:
    """A sign-in's session, its first refresh token and the user's ``last_login_at``,
    in this order, from the same parameters. :func:`authsvc.events.emit_many` runs
    them with the sign-in's events: on PostgreSQL as one statement (data-modifying
    CTEs; foreign keys are checked at its end).

    Parameters are named ``v_<column>``: SQLAlchemy adds an execution parameter
    named like a column of an INSERT or UPDATE to that statement, and every
    sub-statement sees all of them.
    """
    session = _session_insert("v_")
    first_refresh = _refresh_insert("v_refresh_id", "v_id", "v_digest", "v_now")
    # updated_at named, as the ORM's onupdate would set it: Core fills column
    # defaults only for the outermost statement, not inside a CTE.
    signed_in = (
        _users.update()
        .where(_users.c.tenant_id == param("tenant"), _users.c.id == param("v_user_id"))
        .values(last_login_at=param("v_now"), updated_at=param("v_now"))
    )
    return session, first_refresh, signed_in


OPEN_SESSION = _open_session_parts()

THROTTLES = sa.select(_throttles.c.subject, _throttles.c.locked_until).where(
    _throttles.c.tenant_id == param("tenant"),
    _throttles.c.subject.in_(param("names", expanding=True)),
)


#: Subjects one failed attempt counts at most: two account names and the IP.
THROTTLE_SLOTS = 3
_COUNTERS = ("failures", "lockouts", "locked_until", "first_failure_at")


def _claim_throttles(dialect: str, count: int) -> sa.Insert:
    """Lock ``count`` counters (subjects ``t<i>_subject``), creating absent ones at zero,
    and return their values: ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``.

    An upsert rather than ``SELECT ... FOR UPDATE``: a plain SELECT locks only rows
    that exist, so two first failures of one subject would both INSERT and one
    would fail on the unique key. Callers pass the subjects sorted, so
    concurrent attempts lock shared rows in the same order.
    """
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    typed = {name: _throttles.c[name].type for name in ("tenant_id", "id", "subject", "created_at")}
    rows = [
        sa.select(
            param("tenant", type_=typed["tenant_id"]),
            param(f"t{index}_id", type_=typed["id"]),
            param(f"t{index}_subject", type_=typed["subject"]),
            sa.literal_column("0"),
            sa.literal_column("0"),
            param("t_now", type_=typed["created_at"]),
            param("t_now", type_=typed["created_at"]),
        )
        for index in range(count)
    ]
    # SQLite reads "INSERT ... SELECT ... ON CONFLICT" ambiguously without a WHERE.
    rows[-1] = rows[-1].where(sa.true())
    names = ["tenant_id", "id", "subject", "failures", "lockouts", "created_at", "updated_at"]
    return (
        insert(_throttles)
        .from_select(names, rows[0] if count == 1 else sa.union_all(*rows))
        .on_conflict_do_update(
            index_elements=[_throttles.c.tenant_id, _throttles.c.subject],
            set_={"failures": _throttles.c.failures},
        )
        .returning(_throttles.c.subject, *(_throttles.c[name] for name in _COUNTERS))
    )


CLAIM_THROTTLES = {
    (dialect, count): _claim_throttles(dialect, count)
    for dialect in ("postgresql", "sqlite")
    for count in range(1, THROTTLE_SLOTS + 1)
}


def _write_throttle(index: int) -> sa.Update:
    """Store one counter's new values, from ``t<index>_<column>`` (and ``t_now``)."""
    return (
        _throttles.update()
        .where(
            _throttles.c.tenant_id == param("tenant"),
            _throttles.c.subject == param(f"t{index}_subject"),
        )
        .values(
            updated_at=param("t_now"), **{name: param(f"t{index}_{name}") for name in _COUNTERS}
        )
    )


#: The writes of 1..THROTTLE_SLOTS counters, as tuples :func:`authsvc.events.emit_many`
#: takes as its ``change`` (the same objects each time: it caches the statement).
WRITE_THROTTLES = {
    count: tuple(_write_throttle(index) for index in range(count))
    for count in range(1, THROTTLE_SLOTS + 1)
}


def run(statement, **params: Any) -> sa.CursorResult:
    """Execute a statement of this module for the bound tenant, in the session's transaction
    (:func:`authsvc.tenancy.execute_scoped` proves it is tied to that tenant first)."""
    return execute_scoped(db.session, statement, params)


def user_with_roles(statement, **params: Any) -> dict | None:
    """The first row as a dict, with ``roles`` (sorted names); None if absent."""
    rows = read_scoped(statement, params)
    if not rows:
        return None
    found = dict(rows[0])
    del found["role_name"]
    found["roles"] = sorted(row["role_name"] for row in rows if row["role_name"] is not None)
    return found


def insert_refresh(session_id: uuid.UUID, digest: str) -> None:
    run(INSERT_REFRESH, id=new_id(), session_id=session_id, digest=digest, now=utcnow())
