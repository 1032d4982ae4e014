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

import time
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
