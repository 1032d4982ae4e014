"""Fixtures of the unit tests that migrate a database step by step."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import unique


@pytest.fixture
def fresh_database_url(backend, request, tmp_path):
    """An empty database of the session's backend, for migrating step by step."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    url = sa.engine.make_url(request.getfixturevalue("postgres_url"))
    name = unique("migration").replace("-", "_")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)
