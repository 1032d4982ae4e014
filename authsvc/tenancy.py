"""Tenant binding and the one place where tenant-owned data is scoped.

Rationale: isolation must not depend on every call site remembering a
``tenant_id`` filter. Instead the current tenant lives in a context variable
that is bound once per request (from the API key, token or admin session) or
per job (``tenant_context``), and two session hooks enforce it:

* ``do_orm_execute`` adds ``tenant_id = <bound tenant>`` to every ORM SELECT,
  UPDATE and DELETE touching a :class:`~authsvc.db.TenantOwned` model, through
  ``with_loader_criteria`` (so joins, relationship loads and eager loads are
  covered). With no tenant bound, such statements match nothing.
* ``before_flush`` stamps new rows with the bound tenant and refuses to write,
  move or delete a row of another tenant; ORM bulk INSERTs (a list of rows) are
  checked the same way.

The single, greppable bypass is ``with platform_scope():``, for platform-level
code such as API-key lookup before a tenant is known and the worker's
cross-tenant claims. ``tenant_context`` inside it scopes its block to that
tenant again.

A few hot paths run prebuilt Core statements instead of ORM ones (the ORM
layer is most of their cost). Those go through :func:`execute_scoped` (or
:func:`read_scoped` for a lone read), which
supplies the bound tenant as the ``:tenant`` parameter (refusing to run with
none) and, on a statement's first use, proves that every tenant-owned table it
reads or writes is tied to that parameter, directly (``t.tenant_id = :tenant``)
or through a join on ``tenant_id`` to a table that is. A statement that is not
is refused with ``TenancyViolation`` before it ever reaches the database.
(The proof is per table: a second, unfiltered alias of a table that is
filtered elsewhere in the same statement would pass; keep such statements ORM.)
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import sqlalchemy as sa
from flask import Flask, current_app, g
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from authsvc.connections import in_read_only_request, single_read
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
    before a tenant is known, the worker's cross-tenant claims, pruning.
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


def init_app(app: Flask) -> None:
    """Install the scoping hooks and unbind the tenant at the end of each request."""
    _install_hooks()
    app.teardown_request(_unbind_request_tenant)
    app.extensions["authsvc.tenancy"] = {"bypass_option": ALL_TENANTS}


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
    bound to the ``:tenant`` parameter (see the module docstring)."""
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
    """The rows (mappings) of a prebuilt Core SELECT for the bound tenant.

    A read-only request on PostgreSQL that has not opened the session yet runs it
    on a pooled DBAPI connection of its own, in autocommit, compiled once
    (:func:`connections.single_read`): a request whose only query this is
    (``GET /me``) creates no ORM session. Anywhere else it runs in the session's
    transaction, like :func:`execute_scoped`.
    """
    bound = _scoped_params(statement, params)
    lone = not db.session.registry.has() and in_read_only_request()
    if lone and db.engine.dialect.name == "postgresql":
        prepare = current_app.config["DATABASE_PREPARED_STATEMENTS"]
        return single_read(db.engine, statement, bound, prepare=prepare)
    return db.session.connection().execute(statement, bound).mappings().all()
