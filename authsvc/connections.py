"""Database connection handling: liveness checks after idleness, autocommit for reads.

Rationale: a database round trip costs more than most of what a read request
does in Python, so each request should pay for the statements it needs and no
more. Two defaults of a plain setup each add round trips to every request:

* ``pool_pre_ping`` sends ``SELECT 1`` on every checkout. A connection that has
  just been used is almost certainly alive, so we ping only connections that sat
  idle in the pool longer than ``DATABASE_IDLE_PING_SECONDS`` (where server
  restarts, failovers and proxy idle timeouts leave dead ones). A connection that
  dies while busy still fails its statement; SQLAlchemy then invalidates the
  whole pool, so the next requests reconnect.
* A transaction per request: psycopg2 sends ``BEGIN`` before the first
  statement and the session sends ``ROLLBACK`` at the end, two extra round trips
  around a single ``SELECT``. Safe-method API requests (GET, HEAD, OPTIONS) read
  in autocommit mode instead, as Django does by default. They must not write
  through the session: a flush in such a request raises ``ReadOnlyRequest``, so
  a write can never be half-committed statement by statement. Writes that a read
  legitimately causes (an API key's ``last_used_at``) run in their own explicit
  transaction.
"""

from __future__ import annotations

import hashlib
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import Flask, g, has_request_context
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadOnlyRequest(RuntimeError):
    """A safe-method request tried to write through the session: a bug, never user input."""


def read_only_request() -> None:
    """Make the current request read-only, without creating a session it may never use."""
    g.authsvc_read_only = True


def in_read_only_request() -> bool:
    """True inside a request marked by :func:`read_only_request`."""
    return has_request_context() and g.get("authsvc_read_only", False)


@dataclass(frozen=True)
class _Prepared:
    """A SELECT compiled once for the DBAPI: its SQL and how to convert its parameters."""

    sql: str
    binds: tuple[tuple[str, str, Callable[[Any], Any] | None], ...]  # key, SQL name, processor
    types: tuple[Any, ...]  # of the selected columns, in order
    # The same SELECT as a server-side prepared statement: PREPARE once per connection,
    # then EXECUTE with the parameters (PostgreSQL parses and plans it once).
    name: str
    prepare_sql: str
    execute_sql: str
    processors: list = field(default_factory=list)  # per column, from the first result


_prepared: weakref.WeakKeyDictionary[Any, _Prepared] = weakref.WeakKeyDictionary()
#: Connection-record info key: names PREPAREd on that DBAPI connection (SQLAlchemy
#: clears the info whenever the record opens a new DBAPI connection).
_PREPARED_HERE = "authsvc_prepared_statements"
#: SQLSTATE 26000 invalid_sql_statement_name: "prepared statement ... does not exist".
_NO_SUCH_PREPARED_STATEMENT = "26000"


def _prepare(statement: sa.Select, dialect: sa.Dialect) -> _Prepared:
    compiled = statement.compile(dialect=dialect)
    binds = []
    for key, bind in compiled.binds.items():
        if bind.expanding:
            raise ValueError(f"single_read cannot run expanding parameter {key!r}")
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append((key, compiled.bind_names[bind], processor))
    types = tuple(column.type for column in statement.selected_columns)
    # $1, $2... in the order of compiled.positiontup, as PREPARE wants them.
    numbered = statement.compile(dialect=type(dialect)(paramstyle="numeric_dollar"))
    # Named after its SQL: the same name always means the same statement, in any
    # process and after any reload, so a connection's prepared set is never stale.
    name = "authsvc_read_" + hashlib.sha256(numbered.string.encode()).hexdigest()[:24]
    arguments = ", ".join(
        f"%({compiled.bind_names[compiled.binds[key]]})s" for key in numbered.positiontup
    )
    return _Prepared(
        compiled.string,
        tuple(binds),
        types,
        name,
        f"PREPARE {name} AS {numbered.string}",
        f"EXECUTE {name} ({arguments})" if arguments else f"EXECUTE {name}",
    )


def _execute_prepared(pooled, cursor, prepared: _Prepared, values: dict[str, Any]) -> None:
    """EXECUTE the prepared statement, PREPARing it first on a connection that lacks it.

    A connection can lose its prepared statements behind our back (``DISCARD ALL``
    or ``DEALLOCATE`` from a pooler): then it is prepared again, once.
    """
    here = pooled.info.setdefault(_PREPARED_HERE, set())
    if prepared.name not in here:
        cursor.execute(prepared.prepare_sql)
        here.add(prepared.name)
    try:
        cursor.execute(prepared.execute_sql, values)
    except Exception as exc:
        here.discard(prepared.name)
        if getattr(exc, "pgcode", None) != _NO_SUCH_PREPARED_STATEMENT:
            raise
        cursor.execute(prepared.prepare_sql)
        here.add(prepared.name)
        cursor.execute(prepared.execute_sql, values)


def single_read(
    engine: sa.Engine, statement: sa.Select, params: dict[str, Any], prepare: bool = True
) -> list[dict]:
    """The rows of one SELECT, read on a pooled DBAPI connection in autocommit.

    Rationale: for a request whose only query is one prebuilt SELECT (``GET /me``),
    SQLAlchemy's per-execution work and an ORM session cost more than the query,
    and PostgreSQL parsing and planning it each time costs more than running it.
    The statement is compiled once; with ``prepare`` it is also PREPAREd once per
    database connection and then EXECUTEd (turn that off, with
    ``DATABASE_PREPARED_STATEMENTS``, behind a pooler that does not keep a
    client on one server connection, such as PgBouncer in transaction mode).
    Each call converts its parameters and result columns with the same type
    processors SQLAlchemy would use, so the rows equal a
    ``Connection.execute(...).mappings()`` of the same statement (a test checks
    every statement that runs here). The connection comes from and returns to the
    engine's pool (idle ping on checkout, out of autocommit on checkin); a driver
    error is raised as SQLAlchemy's ``DBAPIError``, and a lost connection is
    invalidated like SQLAlchemy does. PostgreSQL only: one round trip, no BEGIN.
    """
    dialect = engine.dialect
    prepared = _prepared.get(statement)
    if prepared is None:
        prepared = _prepared[statement] = _prepare(statement, dialect)
    values = {}
    for key, name, processor in prepared.binds:
        value = params[key]
        values[name] = processor(value) if processor is not None and value is not None else value
    pooled = engine.raw_connection()
    dbapi_connection = pooled.dbapi_connection
    try:
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        try:
            if prepare:
                _execute_prepared(pooled, cursor, prepared, values)
            else:
                cursor.execute(prepared.sql, values)
            rows = cursor.fetchall()
            description = cursor.description
        finally:
            cursor.close()
    except dialect.loaded_dbapi.Error as exc:
        lost = dialect.is_disconnect(exc, dbapi_connection, None)
        if lost:
            pooled.invalidate(exc)
        raise sa.exc.DBAPIError.instance(
            prepared.sql,
            values,
            exc,
            dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=dialect,
        ) from exc
    finally:
        pooled.close()
    if not prepared.processors:
        prepared.processors.extend(
            type_.dialect_impl(dialect).result_processor(dialect, column[1])
            for type_, column in zip(prepared.types, description, strict=True)
        )
    keys = [column[0] for column in description]
    processors = prepared.processors
    return [
        {
            key: processor(value) if processor is not None else value
            for key, processor, value in zip(keys, processors, row, strict=True)
        }
        for row in rows
    ]


def _autocommit_reads(session: Session, _transaction: Any, connection: sa.Connection) -> None:
    # psycopg2 sends BEGIN lazily with the first statement, so switching the
    # DBAPI connection to autocommit here, before any, leaves no transaction
    # open. SQLAlchemy's commit and rollback are then no-ops on the wire. (We do
    # not use the isolation_level option: psycopg2 sends a SET for each change.)
    # SQLite needs nothing: its driver only begins transactions for writes.
    if connection.dialect.name == "postgresql" and in_read_only_request():
        connection.connection.dbapi_connection.autocommit = True


def _refuse_writes(session: Session, _flush_context: Any, _instances: Any) -> None:
    if (session.new or session.dirty or session.deleted) and in_read_only_request():
        raise ReadOnlyRequest("a GET, HEAD or OPTIONS request tried to write through the session")


def _postgres_pool_events(engine: sa.Engine, idle_seconds: float) -> None:
    """Ping on checkout only connections idle longer than ``idle_seconds``; leave
    every connection out of autocommit when it returns to the pool."""

    @event.listens_for(engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None and dbapi_connection.autocommit:
            dbapi_connection.autocommit = False  # after a read-only request
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error:
            alive = False
        if not alive:
            # The pool discards this connection and checks out a fresh one.
            raise sa.exc.DisconnectionError("connection was closed while idle in the pool")


def init_app(app: Flask) -> None:
    """Install the idle ping on the app's engines and the read-only flush guard."""
    if not event.contains(FlaskSession, "before_flush", _refuse_writes):
        event.listen(FlaskSession, "before_flush", _refuse_writes)
        event.listen(FlaskSession, "after_begin", _autocommit_reads)
    idle_seconds = app.config["DATABASE_IDLE_PING_SECONDS"]
    with app.app_context():
        from authsvc.extensions import db

        for engine in db.engines.values():
            if engine.dialect.name != "sqlite":
                _postgres_pool_events(engine, idle_seconds)
