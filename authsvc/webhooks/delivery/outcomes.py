"""Writing the outcomes of finished attempts to their delivery rows, many at once.

Rationale: a worker finishes hundreds of attempts a second, and one UPDATE
and one commit per attempt cost more than the sends themselves. The pool's
recorder hands over every result that finished meanwhile; on PostgreSQL they
are written by one ``UPDATE ... FROM unnest(<one array per column>)`` joined on
the primary key (one statement text whatever the batch size, so nothing is
compiled per batch). The batch spans tenants, so it is written in
``platform_scope()``.
Each row is guarded by the lease (``locked_by``), as a single update was,
and ``RETURNING`` says which rows this worker still held: a result whose
lease ran out is dropped. SQLite (the embedded, single-process mode) has no
arrays, so there each row gets its own UPDATE in the same transaction.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from authsvc.extensions import db
from authsvc.tenancy import platform_scope
from authsvc.webhooks.delivery.fanout import is_postgres
from authsvc.webhooks.models import WebhookDelivery

KEY = ("tenant_id", "id")
#: What an attempt changes on its delivery row (besides releasing the lease).
CHANGED = (
    "state",
    "attempts",
    "next_attempt_at",
    "completed_at",
    "last_status_code",
    "last_latency_ms",
    "last_error",
    "last_response",
    "updated_at",
)


def write(worker_id: str, rows: list[dict]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Apply ``rows`` (KEY and CHANGED values) where ``worker_id`` holds the lease.

    Returns the keys of the rows written; the caller commits.
    """
    if not rows:
        return set()
    with platform_scope():
        if is_postgres():
            return _write_all(worker_id, rows)
        return {key for row in rows if (key := _write_one(worker_id, row))}


def _write_all_statement() -> sa.Update:
    """One UPDATE for any batch size: each column arrives as one array parameter."""
    D = WebhookDelivery
    columns = sa.inspect(D).columns
    names = KEY + CHANGED
    # tenant_id's type comes from its foreign key, resolved only when first compiled.
    types = {"tenant_id": sa.Uuid(), "id": sa.Uuid()}
    types.update((name, columns[name].type) for name in CHANGED)
    # A NULL-only array has no type of its own: cast each to its column's type.
    arrays = [sa.cast(sa.bindparam(f"all_{name}"), postgresql.ARRAY(types[name])) for name in names]
    results = sa.func.unnest(*arrays).table_valued(*names).render_derived("results")
    return (
        sa.update(D)
        .where(
            D.tenant_id == results.c.tenant_id,
            D.id == results.c.id,
            D.locked_by == sa.bindparam("holder"),
        )
        .values(locked_by=None, locked_until=None, **{n: results.c[n] for n in CHANGED})
        .returning(D.tenant_id, D.id)
        .execution_options(synchronize_session=False)
    )


_WRITE_ALL = _write_all_statement()


def _write_all(worker_id: str, rows: list[dict]) -> set[tuple[uuid.UUID, uuid.UUID]]:
    params = {f"all_{name}": [row[name] for row in rows] for name in KEY + CHANGED}
    written = db.session.execute(_WRITE_ALL, {**params, "holder": worker_id})
    return {(tenant_id, id_) for tenant_id, id_ in written}


def _write_one(worker_id: str, row: dict) -> tuple[uuid.UUID, uuid.UUID] | None:
    D = WebhookDelivery
    updated = db.session.execute(
        sa.update(D)
        .where(D.tenant_id == row["tenant_id"], D.id == row["id"], D.locked_by == worker_id)
        .values(locked_by=None, locked_until=None, **{name: row[name] for name in CHANGED})
        .execution_options(synchronize_session=False)
    )
    return (row["tenant_id"], row["id"]) if updated.rowcount == 1 else None
