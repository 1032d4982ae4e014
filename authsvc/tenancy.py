"""Tenant binding and the one place where tenant-owned data is scoped.

Rationale: isolation must not depend on every call site remembering a
``tenant_id`` filter. Instead the current tenant lives in a context variable
that is bound once per request (from the API key, token or admin session) or
per job (``tenant_context``), and two walls enforce it:

* The ORM (every backend). ``do_orm_execute`` adds ``tenant_id = <bound
  tenant>`` to every ORM SELECT, UPDATE and DELETE touching a
  :class:`~authsvc.db.TenantOwned` model, through ``with_loader_criteria`` (so
  joins, relationship loads and eager loads are covered); with no tenant
  bound, such statements match nothing. ``before_flush`` stamps new rows with
  the bound tenant and refuses to write, move or delete a row of another
  tenant; ORM bulk INSERTs (a list of rows) are checked the same way.
* PostgreSQL row-level security. Every tenant-owned table has a policy on the
  settings ``authsvc.tenant_id`` and ``authsvc.platform``, which this module
  sets before any statement runs, whenever they differ from the binding:
  transaction-local (``set_config(..., true)``), in the statement's own round
  trip where psycopg2 allows (see ``_apply_binding``). A statement that
  escaped the ORM wall still sees and changes only the bound tenant's rows.
  See ``docs/tenancy.md``.

The single, greppable bypass is ``with platform_scope():``, for platform-level
code such as API-key lookup before a tenant is known and the worker's
cross-tenant claims. ``tenant_context`` inside it scopes its block to that
tenant again, on both walls.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import Flask, g
from flask_sqlalchemy.session import Session as FlaskSession
from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from authsvc.db import TenantOwned
from authsvc.extensions import db

_current: ContextVar[uuid.UUID | None] = ContextVar("authsvc_tenant_id", default=None)
_platform: ContextVar[bool] = ContextVar("authsvc_platform_scope", default=False)


class TenancyViolation(RuntimeError):
    """Code tried to write a row outside the bound tenant: a bug, never user input."""


def current_tenant_id() -> uuid.UUID | None:
    """The tenant bound to this request or job, or None."""
    return _current.get()


@contextmanager
def tenant_context(tenant_id: uuid.UUID | None) -> Iterator[None]:
    """Bind ``tenant_id`` for the duration of a block (jobs, CLI commands, tests); inside
    :func:`platform_scope`, the block is scoped to that tenant again."""
    token, platform = _current.set(tenant_id), _platform.set(False)
    try:
        yield
    finally:
        _platform.reset(platform)
        _current.reset(token)


@contextmanager
def platform_scope() -> Iterator[None]:
    """Run a block as platform-level code that may read and write every tenant's rows.

    The one bypass of tenant scoping (grep ``platform_scope``): API-key lookup
    before a tenant is known, the worker's cross-tenant claims, pruning. On
    PostgreSQL it sets ``authsvc.platform`` to ``on``, which the row-level
    security policies allow explicitly.
    """
    token = _platform.set(True)
    try:
        yield
    finally:
        _platform.reset(token)


def platform_lookup(statement) -> sa.Row | None:
    """The one row a platform-level lookup by a public identifier (an API-key prefix, a
    signing key's kid) finds in any tenant, or None when there is none or, ambiguously, several."""
    with platform_scope():
        rows = db.session.execute(statement.limit(2)).all()
    return rows[0] if len(rows) == 1 else None


def in_platform_scope() -> bool:
    """True inside :func:`platform_scope`."""
    return _platform.get()


def bind_request_tenant(tenant_id: uuid.UUID) -> None:
    """Bind the tenant for the rest of the current request; unbound at teardown."""
    if "tenant_token" in g:
        if _current.get() != tenant_id:
            raise TenancyViolation("a request cannot be bound to two tenants")
        return
    g.tenant_token = _current.set(tenant_id)


def _unbind_request_tenant(_exc: BaseException | None = None) -> None:
    token = g.pop("tenant_token", None)
    if token is not None:
        _current.reset(token)


# The criteria are built once: the tenant travels as a bound parameter, so a
# statement compiles and caches identically for every tenant and the ORM does
# not re-evaluate a closure on each execution.
TENANT_PARAM = "authsvc_tenant_id"
_TENANT_ID = sa.bindparam(TENANT_PARAM)
_TENANT_CRITERIA = with_loader_criteria(
    TenantOwned,
    lambda cls: cls.tenant_id == _TENANT_ID,
    include_aliases=True,
    track_closure_variables=False,
)
_NOTHING = with_loader_criteria(TenantOwned, lambda cls: sa.false(), include_aliases=True)


# Scoped copies of statements that are executed again and again (module-level
# constants): reusing the copy reuses its memoised cache key, which SQLAlchemy
# would otherwise recompute by walking the whole statement on every execution.
# Weak keys: a statement built per call takes its copy with it when it goes.
_scoped_copies: dict[object, weakref.WeakKeyDictionary] = {
    _TENANT_CRITERIA: weakref.WeakKeyDictionary(),
    _NOTHING: weakref.WeakKeyDictionary(),
}


def _scoped(statement, criteria):
    copies = _scoped_copies[criteria]
    scoped = copies.get(statement)
    if scoped is None:
        scoped = copies[statement] = statement.options(criteria)
    return scoped


def _with_tenant_param(parameters, tenant_id: uuid.UUID | None):
    if isinstance(parameters, list):
        return [{**row, TENANT_PARAM: tenant_id} for row in parameters]
    return {**(parameters or {}), TENANT_PARAM: tenant_id}


def _scope_statement(state: ORMExecuteState) -> None:
    tenant_id = _current.get()
    if state.is_column_load or state.is_relationship_load:
        # These loads inherit the criteria of the statement that loaded the
        # parent object; they need the bound tenant as much as it did.
        state.parameters = _with_tenant_param(state.parameters, tenant_id)
        return
    if state.is_insert:
        _guard_bulk_insert(state, tenant_id)
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if _platform.get():
        return
    if tenant_id is None:
        state.statement = _scoped(state.statement, _NOTHING)
        return
    state.statement = _scoped(state.statement, _TENANT_CRITERIA)
    state.parameters = _with_tenant_param(state.parameters, tenant_id)


def _guard_bulk_insert(state: ORMExecuteState, tenant_id: uuid.UUID | None) -> None:
    """An ORM bulk INSERT (a list of rows) gets what a flush gets: rows stamped with
    the bound tenant, another tenant's refused (any tenant's in platform_scope)."""
    mapper, rows = state.bind_mapper, state.parameters
    if not isinstance(rows, list) or _platform.get():
        return
    if mapper is None or not issubclass(mapper.class_, TenantOwned):
        return
    name = mapper.class_.__name__
    if tenant_id is None:
        raise TenancyViolation(f"new {name} with no tenant bound")
    if any(row.get("tenant_id", tenant_id) != tenant_id for row in rows):
        raise TenancyViolation(f"new {name} for another tenant")
    state.parameters = [{**row, "tenant_id": tenant_id} for row in rows]


def _guard_writes(session: Session, _flush_context, _instances) -> None:
    tenant_id = _current.get()
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id is None:
            if tenant_id is None:
                raise TenancyViolation(f"new {type(obj).__name__} with no tenant bound")
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenancyViolation(f"new {type(obj).__name__} for another tenant")
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id != tenant_id or inspect(obj).attrs.tenant_id.history.has_changes():
            raise TenancyViolation(f"write to {type(obj).__name__} outside the bound tenant")


def _install_hooks() -> None:
    if not event.contains(FlaskSession, "do_orm_execute", _scope_statement):
        event.listen(FlaskSession, "do_orm_execute", _scope_statement)
        event.listen(FlaskSession, "before_flush", _guard_writes)


# --- PostgreSQL row-level security: the settings follow the binding ------------

#: Connection-record info key: (tenant, platform, transaction-local) set there last.
_APPLIED = "authsvc_rls_applied"
_ROLLING_BACK = object()
_SET = (
    "SELECT set_config('authsvc.tenant_id', %(tenant)s, %(local)s),"
    " set_config('authsvc.platform', %(platform)s, %(local)s)"
)


def _set_settings(dbapi_connection, tenant_id, platform: bool, local: bool) -> None:
    # A cursor of its own: the statement's cursor may be a server-side one.
    with dbapi_connection.cursor() as cursor:
        cursor.execute(_SET, _settings_params(tenant_id, platform, local))


def _settings_params(tenant_id, platform: bool, local: bool) -> dict:
    tenant = "" if tenant_id is None else str(tenant_id)
    return {"tenant": tenant, "platform": "on" if platform else "", "local": local}


def _joinable(cursor, parameters, executemany: bool) -> bool:
    """Whether the settings can travel in the statement's own round trip.

    psycopg2 sends a statement with its parameters as one simple query, and
    PostgreSQL runs the statements of one simple query as one transaction, so
    transaction-local settings placed before the statement apply to it (and, in
    autocommit, end with it). Not for server-side (named) cursors, batches, or
    statements without named parameters (whose ``%`` signs psycopg2 leaves as
    they are).
    """
    return (
        not executemany
        and getattr(cursor, "name", None) is None
        and isinstance(parameters, dict)
        and bool(parameters)
    )


_JOINED_SET = _SET.replace("%(", "%(authsvc_rls_") + "; "


def _joined(statement: str, parameters: dict, tenant_id, platform: bool):
    settings = _settings_params(tenant_id, platform, local=True)
    params = {f"authsvc_rls_{name}": value for name, value in settings.items()}
    return _JOINED_SET + statement, {**parameters, **params}


def _apply_binding(conn, cursor, statement, parameters, context, executemany):
    """Before each statement, make the row-level security settings match the binding.

    In a transaction, they are set transaction-local at its first statement and
    whenever the binding changes. In autocommit (read-only requests), each
    statement is its own transaction: transaction-local settings go in front of
    it, in its round trip. Where they cannot (see :func:`_joinable`), they are
    set in a round trip of their own: transaction-local in a transaction, for
    the connection in autocommit, cleared when it returns to the pool.
    """
    if conn.info.get(_APPLIED) is _ROLLING_BACK:
        conn.info.pop(_APPLIED)  # this is the ROLLBACK TO SAVEPOINT: set them after it
        return statement, parameters
    dbapi_connection = conn.connection.dbapi_connection
    tenant_id, platform = _current.get(), _platform.get()
    applied = conn.info.get(_APPLIED)
    if dbapi_connection.autocommit:
        if applied == (tenant_id, platform, False) or (
            applied is None and tenant_id is None and not platform
        ):
            return statement, parameters  # the connection's own settings match
        if _joinable(cursor, parameters, executemany):
            return _joined(statement, parameters, tenant_id, platform)
        _set_settings(dbapi_connection, tenant_id, platform, local=False)
        conn.info[_APPLIED] = (tenant_id, platform, False)
        return statement, parameters
    idle = dbapi_connection.info.transaction_status == TRANSACTION_STATUS_IDLE
    if applied == (tenant_id, platform, True) and not idle:
        return statement, parameters
    conn.info[_APPLIED] = (tenant_id, platform, True)
    if _joinable(cursor, parameters, executemany):
        return _joined(statement, parameters, tenant_id, platform)
    _set_settings(dbapi_connection, tenant_id, platform, local=True)
    return statement, parameters


def _savepoint_rolled_back(conn, _name, _context) -> None:
    # Called just before ROLLBACK TO SAVEPOINT, which takes back any settings
    # changed inside the savepoint: the statement after it sets them again.
    conn.info[_APPLIED] = _ROLLING_BACK


def _clear_on_return(dbapi_connection, record, _reset_state) -> None:
    """A connection leaves no tenant behind in the pool."""
    applied = record.info.pop(_APPLIED, None)
    if applied is None or applied[2] or applied[:2] == (None, False):
        return  # transaction-local ones end with the pool's rollback
    autocommit = dbapi_connection.autocommit
    if not autocommit:
        dbapi_connection.rollback()  # else the pool's rollback would undo the clearing
    _set_settings(dbapi_connection, None, False, local=False)
    if not autocommit:
        dbapi_connection.commit()


def _install_row_level_security(engine: sa.Engine) -> None:
    if not event.contains(engine, "before_cursor_execute", _apply_binding):
        event.listen(engine, "before_cursor_execute", _apply_binding, retval=True)
        event.listen(engine, "rollback_savepoint", _savepoint_rolled_back)
        event.listen(engine, "reset", _clear_on_return)


def init_app(app: Flask) -> None:
    """Install the scoping hooks (the ORM's; PostgreSQL's row-level security settings)
    and unbind the tenant at the end of each request."""
    _install_hooks()
    app.teardown_request(_unbind_request_tenant)
    with app.app_context():
        engines = [e for e in db.engines.values() if e.dialect.name == "postgresql"]
    for engine in engines:
        _install_row_level_security(engine)
    app.extensions["authsvc.tenancy"] = {"row_level_security": bool(engines)}
