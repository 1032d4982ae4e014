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
  sets on the connection before any statement runs, whenever they differ from
  the binding: transaction-local (``set_config(..., true)``) in a transaction,
  for the connection while it is checked out in autocommit, cleared when it
  returns to the pool. A statement that escaped the ORM wall still sees and
  changes only the bound tenant's rows. See ``docs/tenancy.md``.

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

# TEMPORARY until the readmodel and caches branches merge: the old spelling of
# the bypass, still used by their call sites. Use platform_scope(); this goes
# with execute_scoped, read_scoped and prove_scoped below.
ALL_TENANTS = "all_tenants"

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
    if _platform.get() or state.execution_options.get(ALL_TENANTS):
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
    tenant = "" if tenant_id is None else str(tenant_id)
    params = {"tenant": tenant, "platform": "on" if platform else "", "local": local}
    # A cursor of its own: the statement's cursor may be a server-side one.
    with dbapi_connection.cursor() as cursor:
        cursor.execute(_SET, params)


def _apply_binding(conn, _cursor, statement, parameters, context, _executemany):
    """Before each statement, set the row-level security settings that differ from the
    binding: transaction-local in a transaction (so an idle connection has none); for
    the connection, until it returns to the pool, in autocommit (read-only requests)."""
    if conn.info.get(_APPLIED) is _ROLLING_BACK:
        conn.info.pop(_APPLIED)  # this is the ROLLBACK TO SAVEPOINT: set them after it
        return statement, parameters
    dbapi_connection = conn.connection.dbapi_connection
    local = not dbapi_connection.autocommit
    # TEMPORARY bridge until readmodel and caches merge: the ALL_TENANTS option
    # opens the database wall for its statement as it opens the ORM one.
    options = context.execution_options if context is not None else {}
    wanted = (_current.get(), _platform.get() or bool(options.get(ALL_TENANTS)), local)
    idle = dbapi_connection.info.transaction_status == TRANSACTION_STATUS_IDLE
    if conn.info.get(_APPLIED) != wanted or (local and idle):
        _set_settings(dbapi_connection, *wanted)
        conn.info[_APPLIED] = wanted
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


# --- Prebuilt Core statements -------------------------------------------------

TENANT_BIND = "tenant"
_proven: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _tenant_owned_tables() -> frozenset[sa.Table]:
    from authsvc.db import Base

    return frozenset(
        mapper.local_table
        for mapper in Base.registry.mappers
        if issubclass(mapper.class_, TenantOwned)
    )


def _tenant_column_table(element) -> sa.FromClause | None:
    if isinstance(element, sa.Column) and element.name == "tenant_id":
        return element.table
    return None


def _base_table(table):
    # Aliases of a table (``users AS u``) are checked as the table itself.
    return getattr(table, "element", table)


def _sets_tenant(insert: sa.Insert) -> bool:
    """Whether a new row's tenant_id is the ``:tenant`` parameter (composite foreign
    keys then refuse any parent row of another tenant)."""
    # Private attributes of SQLAlchemy's Insert: where .values() and
    # .from_select() keep what they were given.
    values = insert._values or {}  # noqa: SLF001
    for key, value in values.items():
        if getattr(key, "name", key) == "tenant_id":
            return isinstance(value, sa.sql.elements.BindParameter) and value.key == TENANT_BIND
    names = insert._select_names  # noqa: SLF001
    if names and "tenant_id" in names and insert.select is not None:
        column = insert.select.selected_columns[names.index("tenant_id")]
        bind = getattr(column, "element", column)
        return isinstance(bind, sa.sql.elements.BindParameter) and bind.key == TENANT_BIND
    return False


def prove_scoped(statement) -> None:
    """Raise TenancyViolation unless every tenant-owned table in ``statement`` is
    bound to the ``:tenant`` parameter, directly or by a ``tenant_id`` join (per table:
    a second, unfiltered alias of a filtered table would pass)."""
    if statement in _proven:
        return
    owned = _tenant_owned_tables()
    tables: set = set()
    scoped: set = set()
    links: list[tuple] = []
    inserts: list = []
    for element in sa.sql.visitors.iterate(statement):
        if isinstance(element, sa.Table) and element in owned:
            tables.add(element)
        elif isinstance(element, sa.sql.dml.Insert) and element.table in owned:
            inserts.append(element)
        elif isinstance(element, sa.sql.elements.BinaryExpression) and element.operator is (
            sa.sql.operators.eq
        ):
            left, right = _tenant_column_table(element.left), _tenant_column_table(element.right)
            for table, other in ((left, element.right), (right, element.left)):
                bind = isinstance(other, sa.sql.elements.BindParameter)
                if table is not None and bind and other.key == TENANT_BIND:
                    scoped.add(_base_table(table))
            if left is not None and right is not None:
                links.append((_base_table(left), _base_table(right)))
    for insert in inserts:
        if not _sets_tenant(insert):
            raise TenancyViolation(f"INSERT INTO {insert.table.name} without tenant_id = :tenant")
        scoped.add(insert.table)
    changed = True
    while changed:
        changed = False
        for a, b in links:
            if (a in scoped) != (b in scoped):
                scoped.update((a, b))
                changed = True
    unscoped = {t.name for t in tables} - {t.name for t in scoped}
    if unscoped:
        raise TenancyViolation(
            f"statement reads or writes {', '.join(sorted(unscoped))} without tenant_id = :tenant"
        )
    _proven[statement] = True


def _scoped_params(statement, params: dict | None) -> dict:
    tenant_id = _current.get()
    if tenant_id is None:
        raise TenancyViolation("a tenant-owned statement with no tenant bound")
    prove_scoped(statement)
    return {**(params or {}), TENANT_BIND: tenant_id}


# TEMPORARY until the readmodel and caches branches merge: execute_scoped,
# read_scoped and prove_scoped serve their prebuilt Core statements; build
# nothing new on them (ORM statements through db.session are scoped already).
def execute_scoped(session: Session, statement, params: dict | None = None):
    """Run a prebuilt Core statement for the bound tenant, in ``session``'s transaction."""
    bound = _scoped_params(statement, params)
    return session.connection().execute(statement, bound)


def read_scoped(statement, params: dict | None = None) -> list:
    """The rows (mappings) of a prebuilt Core SELECT for the bound tenant, in the
    session's transaction (where the row-level security settings are set)."""
    bound = _scoped_params(statement, params)
    return db.session.connection().execute(statement, bound).mappings().all()
