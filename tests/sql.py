"""Recording the SQL statements a block of test code sends (to count or inspect them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from flask import Flask

from authsvc.extensions import db


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The statements sent to ``app``'s database inside the block, in order, one line each.

    On PostgreSQL the row-level security settings may ride in front of a statement
    (``SELECT set_config('authsvc.tenant_id', ...); <statement>``); they are cut off.
    """
    sent: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many):
        text = " ".join(statement.split())
        if text.startswith("SELECT set_config('authsvc.tenant_id'"):
            text = text.split("; ", 1)[1]
        sent.append(text)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
