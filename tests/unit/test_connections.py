"""Connection handling: reads in autocommit, writes refused there, dead idle connections replaced."""

from __future__ import annotations

import time

import psycopg2
import pytest
import sqlalchemy as sa

from authsvc.connections import ReadOnlyRequest, read_only_request
from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from authsvc.users.models import User
from tests.conftest import make_app


def _now_twice() -> tuple:
    first = db.session.execute(sa.text("SELECT now()")).scalar_one()
    time.sleep(0.02)
    return first, db.session.execute(sa.text("SELECT now()")).scalar_one()


def test_a_read_only_session_runs_each_statement_outside_a_transaction(app, backend):
    """PostgreSQL's now() is the transaction's start: it only advances between transactions."""
    if backend != "postgresql":
        pytest.skip("SQLite's driver never opens a transaction for a read")
    with app.test_request_context(method="POST"):
        first, second = _now_twice()
        assert first == second  # an ordinary request: one transaction
    with app.test_request_context(method="GET"):
        read_only_request()
        first, second = _now_twice()
        assert second > first


def test_the_connection_leaves_autocommit_when_it_returns_to_the_pool(app, backend):
    if backend != "postgresql":
        pytest.skip("autocommit is switched on PostgreSQL connections only")
    with app.test_request_context(method="GET"):
        read_only_request()
        db.session.execute(sa.text("SELECT 1"))
    with app.app_context():
        first, second = _now_twice()
        assert first == second


def test_a_get_request_cannot_write_through_the_session(app, tenant, make_user):
    """A write in a read-only request is a bug: it fails as a whole, nothing is committed."""
    user = make_user(tenant, display_name="before")
    with app.test_request_context(method="GET"), tenant_context(tenant[0]):
        read_only_request()
        row = db.session.execute(sa.select(User).where(User.email == user["email"])).scalar_one()
        row.display_name = "after"
        with pytest.raises(ReadOnlyRequest):
            db.session.commit()
        db.session.rollback()
    with app.app_context(), tenant_context(tenant[0]):
        stored = db.session.execute(sa.select(User).where(User.email == user["email"])).scalar_one()
        assert stored.display_name == "before"


def test_a_connection_that_died_while_idle_is_replaced_on_checkout(postgres_url, tmp_path):
    """The pool pings a connection idle beyond the threshold; a dead one is discarded."""
    app = make_app(postgres_url, tmp_path, DATABASE_IDLE_PING_SECONDS=0)
    with app.app_context():
        engine = db.engine
        with engine.connect() as conn:
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        # From outside the pool, as a server restart or a proxy's idle timeout would.
        killer = psycopg2.connect(engine.url.set(drivername="postgresql").render_as_string(False))
        killer.autocommit = True
        killer.cursor().execute("SELECT pg_terminate_backend(%s)", (pid,))
        killer.close()
        time.sleep(0.1)
        with engine.connect() as conn:
            new_pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        assert new_pid != pid
        engine.dispose()


def test_an_api_get_that_queries_nothing_opens_no_session(app, tenant, api_client):
    """Marking a request read-only must not create a session (and a connection) by itself."""
    from flask import g

    client = api_client(tenant, ["users:read"])
    with app.test_request_context("/api/v1/users", method="GET"):
        app.preprocess_request()
        assert g.authsvc_read_only is True
        assert not db.session.registry.has()
    assert client.get("/users").status_code == 200
