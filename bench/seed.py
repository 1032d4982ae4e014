"""Seed a benchmark database: tenants and API keys through the services, users in bulk.

Tenants and keys go through ``create_tenant`` / ``create_api_key`` so they are
exactly what the product creates. Users are written in bulk on the engine's own
connection (bypassing the ORM session and its tenancy hooks), each with the
tenant's ``member`` role as ``create_user`` would give them: COPY on
PostgreSQL, Core ``executemany`` on SQLite. 100,000 users take a few seconds.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from authsvc.db import new_id, utcnow

# Bench tenants may make as many requests as wrk can send: the per-tenant
# rate-limit setting (a database row, as in production) keeps the limiter on
# without ever answering 429.
BENCH_TENANT_SETTINGS = {"rate_limit": "1000000/minute"}
BATCH = 10_000

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchTenant:
    id: uuid.UUID
    slug: str
    api_key: str


def authsvc_init(env: dict[str, str]) -> None:
    """Run ``authsvc init`` (the schema migration) as an operator would."""
    executable = Path(sys.executable).with_name("authsvc")
    done = subprocess.run(
        [str(executable), "init"], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        raise RuntimeError(f"authsvc init failed:\n{done.stdout}{done.stderr}")


def create_bench_tenants(count: int, prefix: str = "bench") -> list[BenchTenant]:
    """``count`` tenants, each with a ``users:read`` API key (needs an app context)."""
    from authsvc.apikeys.service import create_api_key
    from authsvc.tenancy import tenant_context
    from authsvc.tenants.service import create_tenant

    tenants = []
    for number in range(count):
        slug = f"{prefix}-{number:02d}"
        tenant = create_tenant(slug, f"Bench tenant {number}", settings=BENCH_TENANT_SETTINGS)
        with tenant_context(tenant.id):
            _key, plaintext = create_api_key("bench", ["users:read"], actor="bench")
        tenants.append(BenchTenant(tenant.id, slug, plaintext))
    return tenants


def _member_roles(conn: sa.Connection) -> dict[uuid.UUID, uuid.UUID]:
    from authsvc.users.models import Role

    roles = Role.__table__
    rows = conn.execute(sa.select(roles.c.tenant_id, roles.c.id).where(roles.c.name == "member"))
    return {tenant_id: role_id for tenant_id, role_id in rows}


def _user_rows(tenant_ids: list[uuid.UUID], start: int, stop: int) -> Iterator[dict]:
    # Round-robin over tenants: time-ordered ids interleave, as when tenants grow together.
    now = utcnow()
    for number in range(start, stop):
        name = f"user{number:06d}"
        yield {
            "tenant_id": tenant_ids[number % len(tenant_ids)],
            "id": new_id(),
            "email": f"{name}@Example.com",
            "email_normalized": f"{name}@example.com",
            "username": name,
            "username_normalized": name,
            "password_hash": None,
            "is_verified": number % 3 != 0,
            "is_active": True,
            "display_name": f"User {number}",
            "metadata": {},
            "created_at": now,
            "updated_at": now,
        }


def _with_defaults(table: sa.Table, rows: list[dict]) -> list[dict]:
    """Fill the columns ``rows`` leave out with the model's Python-side defaults.

    COPY applies none of them, and new columns then need no change here.
    """
    defaults = {}
    for column in table.columns:
        if column.key in rows[0] or column.default is None:
            continue
        default = column.default
        if default.is_scalar:
            defaults[column.key] = lambda d=default: d.arg
        elif default.is_callable:
            defaults[column.key] = lambda d=default: d.arg(None)
    return [{**row, **{key: make() for key, make in defaults.items()}} for row in rows]


def _copy(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """COPY ``rows`` into ``table`` (CSV: an unquoted empty field is NULL, JSON as text)."""
    columns = list(rows[0])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(json.dumps(v) if isinstance(v, dict | list) else v for v in row.values())
    buffer.seek(0)
    names = ", ".join(f'"{name}"' for name in columns)
    cursor = conn.connection.dbapi_connection.cursor()
    cursor.copy_expert(f"COPY {table.name} ({names}) FROM STDIN WITH (FORMAT csv)", buffer)


def insert_rows(conn: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Bulk insert with the fastest path of the backend."""
    rows = _with_defaults(table, rows)
    if conn.dialect.name == "postgresql":
        _copy(conn, table, rows)
    else:
        conn.execute(sa.insert(table), rows)


def bulk_users(engine: sa.Engine, tenant_ids: list[uuid.UUID], total: int, progress: Progress):
    """Insert ``total`` users spread evenly over ``tenant_ids``; returns {tenant: [user ids]}."""
    from authsvc.users.models import User, UserRole

    ids: dict[uuid.UUID, list[uuid.UUID]] = {tenant_id: [] for tenant_id in tenant_ids}
    started = time.perf_counter()
    with engine.begin() as conn:
        member = _member_roles(conn)
    for start in range(0, total, BATCH):
        rows = list(_user_rows(tenant_ids, start, min(start + BATCH, total)))
        links = [
            {"tenant_id": r["tenant_id"], "user_id": r["id"], "role_id": member[r["tenant_id"]]}
            for r in rows
        ]
        with engine.begin() as conn:
            insert_rows(conn, User.__table__, rows)
            insert_rows(conn, UserRole.__table__, links)
        for row in rows:
            ids[row["tenant_id"]].append(row["id"])
        done = start + len(rows)
        rate = done / (time.perf_counter() - started)
        progress(f"users: {done:,}/{total:,} inserted ({rate:,.0f}/s)")
    return ids


def analyze(engine: sa.Engine) -> None:
    """Refresh planner statistics, as autovacuum would have done on a live system."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(
            sa.text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE")
        )


def write_user_paths(user_ids: list[uuid.UUID], path: Path) -> Path:
    """The file of ``/api/v1/users/<id>`` paths that api.lua picks from."""
    path.write_text("".join(f"/api/v1/users/{user_id}\n" for user_id in user_ids))
    return path
