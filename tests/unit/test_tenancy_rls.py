"""PostgreSQL's row-level security: the database itself keeps each tenant to its own rows.

These tests bypass the ORM on purpose (plain psycopg2, SQL text, Core on an engine
connection): whatever escapes the ORM's criteria must still meet the policies.
"""

from __future__ import annotations

import uuid

import psycopg2
import pytest
import sqlalchemy as sa
from psycopg2 import errors

from authsvc.connections import read_only_request
from authsvc.db import Base, TenantOwned
from authsvc.extensions import db
from authsvc.tenancy import platform_scope, tenant_context
from tests.conftest import make_app

pytestmark = pytest.mark.postgres_only

_SET = "SELECT set_config('authsvc.tenant_id', %s, true), set_config('authsvc.platform', %s, true)"


@pytest.fixture
def two_tenants(app, make_tenant, make_user):
    a, b = make_tenant(), make_tenant()
    return a, b, make_user(a), make_user(b)


@pytest.fixture
def app_role(app):
    """A plain psycopg2 connection as the application's role, outside every hook of ours."""
    with app.app_context():
        dsn = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = psycopg2.connect(dsn)
    yield conn
    conn.close()


def _user_ids(cursor, tenant: str = "", platform: str = "") -> set[str]:
    cursor.execute(_SET, (tenant, platform))
    cursor.execute("SELECT id FROM users")
    return {str(row[0]) for row in cursor.fetchall()}


def test_the_application_role_is_neither_superuser_nor_bypasses_row_level_security(app_role):
    """Superusers and BYPASSRLS roles skip every policy: the tests would prove nothing."""
    with app_role.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False, False)
    app_role.rollback()


def test_every_tenant_owned_table_has_the_forced_tenant_isolation_policy(app, app_role):
    """A new tenant-owned model whose migration forgets the policy fails here."""
    owned = {m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)}
    with app_role.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policies p"
            " ON p.tablename = c.relname AND p.schemaname = current_schema()"
            " WHERE c.relnamespace = current_schema()::regnamespace"
            " AND c.relrowsecurity AND c.relforcerowsecurity"
            " AND p.policyname = 'tenant_isolation' AND p.cmd = 'ALL'"
        )
        guarded = {row[0] for row in cursor.fetchall()}
    app_role.rollback()
    assert owned - guarded == set()
    assert guarded - owned == set(), "platform tables (tenants, admins) carry no tenant policy"


def test_a_statement_without_a_tenant_filter_returns_only_the_bound_tenants_rows(
    two_tenants, app_role
):
    a, b, user_a, user_b = two_tenants
    with app_role.cursor() as cursor:
        seen_by_a = _user_ids(cursor, str(a[0]))
        app_role.rollback()
        seen_by_b = _user_ids(cursor, str(b[0]))
        app_role.rollback()
    assert user_a["id"] in seen_by_a and user_b["id"] not in seen_by_a
    assert user_b["id"] in seen_by_b and user_a["id"] not in seen_by_b


def test_with_no_tenant_set_nothing_is_visible(two_tenants, app_role):
    with app_role.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM users")
        never_set = cursor.fetchone()[0]
        app_role.rollback()
        set_empty = _user_ids(cursor)
        app_role.rollback()
    assert (never_set, set_empty) == (0, set())


def test_the_platform_setting_sees_every_tenant(two_tenants, app_role):
    _a, _b, user_a, user_b = two_tenants
    with app_role.cursor() as cursor:
        seen = _user_ids(cursor, platform="on")
    app_role.rollback()
    assert {user_a["id"], user_b["id"]} <= seen


def test_an_update_of_another_tenants_row_changes_nothing(two_tenants, app_role):
    a, _b, _user_a, user_b = two_tenants
    with app_role.cursor() as cursor:
        cursor.execute(_SET, (str(a[0]), ""))
        cursor.execute("UPDATE users SET display_name = 'hijacked' WHERE id = %s", (user_b["id"],))
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM users WHERE id = %s", (user_b["id"],))
        assert cursor.rowcount == 0
        app_role.commit()
        _user_ids(cursor, platform="on")
        cursor.execute("SELECT display_name FROM users WHERE id = %s", (user_b["id"],))
        assert cursor.fetchone() == (None,)
    app_role.rollback()


_FOREIGN_WRITES = {
    "insert": (
        "INSERT INTO users (tenant_id, id, email, email_normalized, is_active, is_verified,"
        " metadata, created_at, updated_at) VALUES (%(other)s, %(new)s, 'x@example.com',"
        " 'x@example.com', true, false, '{}', now(), now())"
    ),
    "move": "UPDATE users SET tenant_id = %(other)s WHERE id = %(mine)s",
}


@pytest.mark.parametrize("write", sorted(_FOREIGN_WRITES))
def test_a_write_that_leaves_a_row_of_another_tenant_fails_in_the_database(
    two_tenants, app_role, write
):
    """An INSERT with B's tenant_id, or moving A's row to B, while bound to A."""
    a, b, user_a, _user_b = two_tenants
    params = {"other": str(b[0]), "new": str(uuid.uuid4()), "mine": user_a["id"]}
    with app_role.cursor() as cursor:
        cursor.execute(_SET, (str(a[0]), ""))
        with pytest.raises(errors.InsufficientPrivilege, match="row-level security"):
            cursor.execute(_FOREIGN_WRITES[write], params)
    app_role.rollback()


def _text_user_ids() -> set[str]:
    """SQL text: no ORM criteria, only the policies."""
    return {str(i) for i in db.session.execute(sa.text("SELECT id FROM users")).scalars()}


def test_the_settings_follow_the_binding_inside_one_transaction(app, two_tenants):
    """tenant_context and platform_scope entered and left while a transaction is open."""
    a, b, user_a, user_b = two_tenants
    with app.app_context():
        transaction = sa.text("SELECT txid_current()")
        opened = db.session.execute(transaction).scalar_one()
        with tenant_context(a[0]):
            first_a = _text_user_ids()
            with tenant_context(b[0]):
                inner_b = _text_user_ids()
            again_a = _text_user_ids()
            with platform_scope():
                everyone = _text_user_ids()
        unbound = _text_user_ids()
        assert db.session.execute(transaction).scalar_one() == opened
        db.session.rollback()
    assert user_a["id"] in first_a and user_b["id"] not in first_a
    assert user_b["id"] in inner_b and user_a["id"] not in inner_b
    assert again_a == first_a
    assert {user_a["id"], user_b["id"]} <= everyone
    assert unbound == set()


def test_core_on_an_engine_connection_is_walled_too(app, two_tenants):
    a, _b, user_a, user_b = two_tenants
    with app.app_context(), tenant_context(a[0]), db.engine.connect() as conn:
        seen = {str(i) for i in conn.execute(sa.text("SELECT id FROM users")).scalars()}
    assert user_a["id"] in seen and user_b["id"] not in seen


def test_each_transaction_on_a_connection_gets_the_settings_again(
    postgres_url, tmp_path, two_tenants
):
    """Transaction-local settings end with each transaction, including the first one a
    new engine runs when it connects (its dialect checks, rolled back by the driver)."""
    a, _b, user_a, _user_b = two_tenants
    app = make_app(postgres_url, tmp_path)
    users = sa.text("SELECT id FROM users")
    seen = []
    with app.app_context(), tenant_context(a[0]), db.engine.connect() as conn:
        for end in (conn.commit, conn.rollback, conn.commit):
            seen.append({str(i) for i in conn.execute(users).scalars()})
            end()
    assert user_a["id"] in seen[0] and seen == [seen[0]] * 3
    with app.app_context():
        db.engine.dispose()


def test_settings_set_in_a_rolled_back_savepoint_are_set_again(app, two_tenants):
    a, b, user_a, user_b = two_tenants
    users = sa.text("SELECT id FROM users")
    with app.app_context(), tenant_context(a[0]), db.engine.connect() as conn:
        conn.execute(users)
        savepoint = conn.begin_nested()
        with tenant_context(b[0]):
            conn.execute(users)  # b's settings, set inside the savepoint
            savepoint.rollback()  # ... and gone with it
            seen = {str(i) for i in conn.execute(users).scalars()}
        conn.rollback()
    assert user_b["id"] in seen and user_a["id"] not in seen


def test_a_read_only_request_leaves_no_tenant_on_its_pooled_connection(
    postgres_url, tmp_path, two_tenants
):
    """Autocommit reads set the tenant for the connection; its return to the pool clears it."""
    a, _b, user_a, _user_b = two_tenants
    app = make_app(postgres_url, tmp_path)
    setting = "SELECT current_setting('authsvc.tenant_id', true)"
    with app.app_context():
        db.engine.dispose()  # one pooled connection from here on
    with app.test_request_context(method="GET"), tenant_context(a[0]):
        read_only_request()
        seen = _text_user_ids()
        pid = db.session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        during = db.session.execute(sa.text(setting)).scalar_one()
    with app.app_context():
        pooled = db.engine.raw_connection()
        try:
            cursor = pooled.dbapi_connection.cursor()
            cursor.execute(f"SELECT pg_backend_pid(), ({setting})")
            after = cursor.fetchone()
            cursor.close()
        finally:
            pooled.close()
        db.engine.dispose()
    assert user_a["id"] in seen and during == str(a[0])
    assert after[0] == pid and after[1] in ("", None)


# A statement with named parameters carries the settings in its own round trip
# (``SELECT set_config(...); <statement>``); the tests above use statements without
# parameters, which get them in a round trip of their own.
_JOINED_USERS = sa.text("SELECT id FROM users WHERE :always")


def _joined_user_ids(conn) -> set[str]:
    return {str(i) for i in conn.execute(_JOINED_USERS, {"always": True}).scalars()}


def _setting_outside_our_hooks(conn) -> str | None:
    cursor = conn.connection.dbapi_connection.cursor()
    cursor.execute("SELECT current_setting('authsvc.tenant_id', true)")
    (value,) = cursor.fetchone()
    cursor.close()
    return value


def test_a_joined_read_only_statement_leaves_no_setting_behind(app, two_tenants):
    """In autocommit the settings live exactly as long as the statement they precede."""
    a, _b, user_a, user_b = two_tenants
    with app.test_request_context(method="GET"), tenant_context(a[0]):
        read_only_request()
        conn = db.session.connection()
        seen = _joined_user_ids(conn)
        after = _setting_outside_our_hooks(conn)
    assert user_a["id"] in seen and user_b["id"] not in seen
    assert after in ("", None)


def test_joined_statements_follow_the_binding_and_savepoints(app, two_tenants):
    a, b, user_a, user_b = two_tenants
    with app.app_context(), tenant_context(a[0]), db.engine.connect() as conn:
        first = _joined_user_ids(conn)
        with tenant_context(b[0]):
            inner = _joined_user_ids(conn)
            savepoint = conn.begin_nested()
            with tenant_context(a[0]):
                _joined_user_ids(conn)  # a's settings, set inside the savepoint
                savepoint.rollback()  # ... and gone with it
                after_savepoint = _joined_user_ids(conn)
        again = _joined_user_ids(conn)
        conn.commit()
        next_transaction = _joined_user_ids(conn)
        conn.rollback()
    assert user_a["id"] in first and user_b["id"] not in first
    assert user_b["id"] in inner and user_a["id"] not in inner
    assert after_savepoint == first
    assert again == first == next_transaction
