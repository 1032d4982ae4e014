"""Account enumeration (issue 11.11): recovery flows answer, and work, the same for any address."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.mail.delivery import deliver_due
from tests.conftest import unique

# Headers that differ between any two requests, whatever they ask.
PER_REQUEST = {"X-Request-ID", "X-RateLimit-Reset"}


@contextmanager
def statements(app):
    """The SQL sent to the database inside the block, in order, parameters aside."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, _parameters, _context, _many):
        sent.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _answer(response) -> tuple:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in PER_REQUEST)
    return response.status_code, response.get_data(), headers


@pytest.mark.parametrize("path", ["/auth/forgot-password", "/auth/resend-verification"])
def test_do_known_and_unknown_addresses_run_the_same_statements_and_get_the_same_bytes(
    app, tenant_app, path
):
    known = f"{unique('known')}@example.com"
    tenant_app.signup(known)  # unverified: a resend would mail it
    unknown = f"{unique('nobody')}@example.com"

    def ask(email: str, ip: str):
        headers = {"X-End-User-IP": ip}
        return tenant_app.client.post(path, json={"email": email}, headers=headers)

    ask(f"{unique('warm')}@example.com", "192.0.2.1")  # caches filled alike for both below
    with statements(app) as for_known:
        answer_known = ask(known, "192.0.2.2")
    with statements(app) as for_unknown:
        answer_unknown = ask(unknown, "192.0.2.3")

    assert answer_known.status_code == 202
    assert _answer(answer_known) == _answer(answer_unknown)
    assert for_known == for_unknown
    writes = [s for s in for_known if s.startswith(("INSERT", "UPDATE", "DELETE"))]
    assert len(writes) == 1 and writes[0].startswith("INSERT INTO mail_requests")
    assert not any("FROM users" in s for s in for_known), "no account lookup in the request"


def test_does_the_worker_mail_the_known_address_and_discard_the_unknown_one(app, tenant_app, inbox):
    known = f"{unique('known')}@example.com"
    tenant_app.signup(known)
    deliver_due(app)
    inbox.clear()
    unknown = f"{unique('nobody')}@example.com"
    for email in (known, unknown):
        tenant_app.client.post("/auth/forgot-password", json={"email": email})
    deliver_due(app)
    assert [m["Subject"] for m in inbox.to(known)] == [
        f"Reset your {tenant_app.slug.title()} password"
    ]
    assert inbox.to(unknown) == []
