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
  move or delete a row of another tenant.

The single, greppable bypass is ``execution_options(all_tenants=True)``, for
platform-level code such as API-key lookup before a tenant is known.
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
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from authsvc.db import TenantOwned

ALL_TENANTS = "all_tenants"

_current: ContextVar[uuid.UUID | None] = ContextVar("authsvc_tenant_id", default=None)


class TenancyViolation(RuntimeError):
    """Code tried to write a row outside the bound tenant: a bug, never user input."""


def current_tenant_id() -> uuid.UUID | None:
    """The tenant bound to this request or job, or None."""
    return _current.get()


@contextmanager
def tenant_context(tenant_id: uuid.UUID | None) -> Iterator[None]:
    """Bind ``tenant_id`` for the duration of a block (jobs, CLI commands, tests)."""
    token = _current.set(tenant_id)
    try:
        yield
    finally:
        _current.reset(token)


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
    if not (state.is_select or state.is_update or state.is_delete):
        return
    if state.execution_options.get(ALL_TENANTS):
        return
    if tenant_id is None:
        state.statement = _scoped(state.statement, _NOTHING)
        return
    state.statement = _scoped(state.statement, _TENANT_CRITERIA)
    state.parameters = _with_tenant_param(state.parameters, tenant_id)


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
