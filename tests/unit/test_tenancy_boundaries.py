"""No module outside tenancy.py and db.py bypasses tenant scoping.

Tenant scoping hooks into the ORM session (``db.session.execute`` of ORM-enabled
statements) and, on PostgreSQL, into every statement on an engine connection.
Core on a model's ``__table__``, a session's bare connection, a connection or
transaction of the engine's own, a raw DBAPI connection, driver SQL or the old
``all_tenants`` option are how code used to step around the ORM wall; platform
code says ``with platform_scope():`` instead. The scan reads the source with
``ast``, so comments and docstrings that mention these names do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("authsvc", "admin")
EXEMPT = {"authsvc/tenancy.py", "authsvc/db.py"}


_ATTRIBUTES = {
    "__table__": "Core on a model's __table__",
    "raw_connection": "raw DBAPI connection",
    "exec_driver_sql": "driver SQL",
}


def _names_an_engine(node: ast.expr) -> bool:
    """``engine``, ``db.engine``, ``self.engine``, ``db.engines[...]``."""
    if isinstance(node, ast.Subscript):
        node = node.value
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", "")
    return name.endswith(("engine", "engines"))


def _bypass(node: ast.AST) -> str | None:
    if isinstance(node, ast.Attribute):
        if node.attr in _ATTRIBUTES:
            return _ATTRIBUTES[node.attr]
        called = node.value.func if isinstance(node.value, ast.Call) else None
        if node.attr == "execute" and getattr(called, "attr", None) == "connection":
            return ".connection().execute"
        if node.attr in ("begin", "connect") and _names_an_engine(node.value):
            return f"engine.{node.attr}()"
    if isinstance(node, ast.Name) and node.id == "ALL_TENANTS":
        return "ALL_TENANTS"
    if isinstance(node, ast.alias) and node.name == "ALL_TENANTS":
        return "ALL_TENANTS"
    if isinstance(node, ast.keyword) and node.arg == "all_tenants":
        return "all_tenants="
    if isinstance(node, ast.Constant) and node.value == "all_tenants":
        return "'all_tenants'"
    return None


def bypasses(source: str) -> list[tuple[int, str]]:
    """(line, what) for each way around tenant scoping in ``source``."""
    found = {(node.lineno, what) for node in ast.walk(ast.parse(source)) if (what := _bypass(node))}
    return sorted(found)


def _sources() -> dict[str, str]:
    files = (path for folder in SCANNED for path in (ROOT / folder).rglob("*.py"))
    return {path.relative_to(ROOT).as_posix(): path.read_text() for path in files}


def test_no_module_outside_tenancy_and_db_bypasses_tenant_scoping():
    found = [
        f"{name}:{line}: {what}"
        for name, source in sorted(_sources().items())
        if name not in EXEMPT
        for line, what in bypasses(source)
    ]
    assert found == [], "use ORM statements on db.session, or platform_scope():\n" + "\n".join(
        found
    )


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("db.session.execute(sa.select(User.__table__))", "Core on a model's __table__"),
        ("db.session.connection().execute(statement)", ".connection().execute"),
        ("session.connection().exec_driver_sql('SELECT 1')", "driver SQL"),
        ("with db.engine.begin() as conn:\n    pass", "engine.begin()"),
        ("with self.engine.connect() as conn:\n    pass", "engine.connect()"),
        ("engine.connect()", "engine.connect()"),
        ("db.engines['replica'].connect()", "engine.connect()"),
        ("pooled = db.engine.raw_connection()", "raw DBAPI connection"),
        ("from authsvc.tenancy import ALL_TENANTS", "ALL_TENANTS"),
        ("statement.execution_options(**{ALL_TENANTS: True})", "ALL_TENANTS"),
        ("statement.execution_options(all_tenants=True)", "all_tenants="),
        ("statement.execution_options(**{'all_tenants': True})", "'all_tenants'"),
    ],
)
def test_the_scan_catches_each_way_around_scoping(source, what):
    assert (1, what) in bypasses(source)


def test_the_scan_passes_orm_statements_and_platform_scope():
    source = '''
"""Mentions of __table__ or engine.connect() in a docstring are not code."""
with platform_scope():
    rows = db.session.execute(sa.select(User).where(User.id == user_id)).scalars()
db.session.execute(sa.insert(WebhookDelivery), rows)
conn = redis.connect()
'''
    assert bypasses(source) == []
