"""Migrations produce exactly the models' schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from authsvc.db import Base, TenantOwned
from authsvc.extensions import db
from tests.conftest import drop_database, fresh_database, make_app

BEFORE_ROW_LEVEL_SECURITY = "7c1d2e9a4b30"


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


def _policies() -> tuple[set[str], set[str]]:
    """(tables with the tenant_isolation policy, tables with row-level security on)."""
    with db.engine.connect() as conn:
        policies = conn.execute(
            sa.text("SELECT tablename FROM pg_policies WHERE policyname = 'tenant_isolation'")
        )
        secured = conn.execute(
            sa.text(
                "SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity"
                " AND relnamespace = current_schema()::regnamespace"
            )
        )
        return set(policies.scalars()), set(secured.scalars())


@pytest.mark.postgres_only
def test_the_row_level_security_migration_upgrades_and_downgrades(app, tmp_path):
    owned = {m.local_table.name for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)}
    url = fresh_database(app.config["DATABASE_URL"], "authsvc_rls")
    fresh = make_app(url, tmp_path)
    try:
        with fresh.app_context():
            upgrade()
            assert _policies() == (owned, owned)
            downgrade(revision=BEFORE_ROW_LEVEL_SECURITY)
            assert _policies() == (set(), set())
            upgrade()
            assert _policies() == (owned, owned)
            db.engine.dispose()
    finally:
        drop_database(url)
