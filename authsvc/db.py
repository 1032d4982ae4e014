"""Declarative base, column types and mixins shared by every model."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


@event.listens_for(sa.engine.Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite enforces foreign keys (our composite tenant keys) only when asked."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def schema_revisions(engine: sa.Engine) -> tuple[str, ...]:
    """The Alembic revisions the database is at (readiness probe): platform data, read
    on an engine connection of its own."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return tuple(MigrationContext.configure(conn).get_current_heads())


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7 layout), so ordering by id follows creation."""
    millis = time.time_ns() // 1_000_000
    raw = bytearray(millis.to_bytes(6, "big") + os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(raw))


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; use authsvc.db.utcnow()")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    def result_processor(self, dialect, coltype):
        # PostgreSQL's timestamptz already arrives timezone-aware: no Python
        # call per value (three per user row in a listing).
        if dialect.name == "postgresql":
            return None
        return super().result_processor(dialect, coltype)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={
            datetime: UTCDateTime(),
            dict[str, Any]: JSONType,
            list[str]: JSONType,
        },
    )


class Timestamps:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class TenantOwned:
    """Rows owned by one tenant; reads and writes are scoped by :mod:`authsvc.tenancy`.

    Code never filters on ``tenant_id`` by hand.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[uuid.UUID]:
        # Leading primary-key column, so it needs no index of its own.
        # sort_order puts it first, so the primary-key index serves "this tenant's rows by id".
        return mapped_column(
            sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, sort_order=-10
        )


class TenantScoped(TenantOwned):
    """A tenant-owned entity with its own id.

    The primary key is (tenant_id, id) so that references between tenant-owned
    tables are composite foreign keys the database itself checks, and so that
    the schema can be distributed by tenant later.
    """

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


def tenant_fk(column: str, target: str, **kw) -> sa.ForeignKeyConstraint:
    """A composite foreign key (tenant_id, <column>) -> <target>(tenant_id, id).

    The database refuses a row of one tenant that points at another's.
    """
    return sa.ForeignKeyConstraint(
        ["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], **kw
    )


# PostgreSQL row-level security: the policy every tenant-owned table carries (the
# second wall behind tenancy's ORM criteria; tenancy.py sets the two settings).
ROW_LEVEL_SECURITY_POLICY = (
    "tenant_id = NULLIF(current_setting('authsvc.tenant_id', true), '')::uuid"
    " OR current_setting('authsvc.platform', true) = 'on'"
)


def row_level_security_statements(table: str) -> list[str]:
    """SQL that walls ``table`` (a migration runs it on PostgreSQL for each new table)."""
    allowed = ROW_LEVEL_SECURITY_POLICY
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_isolation ON {table} USING ({allowed}) WITH CHECK ({allowed})",
    ]


def drop_row_level_security_statements(table: str) -> list[str]:
    """The reverse of :func:`row_level_security_statements`."""
    return [
        f"DROP POLICY tenant_isolation ON {table}",
        f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
    ]
