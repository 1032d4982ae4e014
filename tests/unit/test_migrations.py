"""Migrations produce exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from authsvc.extensions import db


def test_migrated_schema_has_no_drift_from_the_models(app):
    with app.app_context(), db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_tenant_owned_table_leads_with_tenant_id_and_scopes_its_uniques(app):
    for table in db.metadata.tables.values():
        if "tenant_id" not in table.c or table.name in {"tenant_domains", "admin_memberships"}:
            continue
        assert table.primary_key.columns.keys()[0] == "tenant_id", table.name
        for constraint in table.constraints:
            if constraint.__class__.__name__ == "UniqueConstraint":
                assert "tenant_id" in constraint.columns, (
                    f"{table.name}: unique constraint without tenant_id"
                )
