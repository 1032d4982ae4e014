"""Events and their audit rows: written with the change, for the bound tenant, or not at all."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g
from sqlalchemy.exc import IntegrityError

from authsvc import events
from authsvc.audit.models import AuditEntry
from authsvc.db import new_id, utcnow
from authsvc.events import Event
from authsvc.extensions import db
from authsvc.tenancy import TenancyViolation, tenant_context
from authsvc.users.models import Role
from tests.conftest import make_app


def _written(app, tenant_id, marker: str) -> tuple[list[Event], list[AuditEntry]]:
    """The events whose payload names ``marker`` as its user, and their audit rows."""
    with app.app_context(), tenant_context(tenant_id):
        found = db.session.execute(sa.select(Event).order_by(Event.created_at)).scalars()
        found = [event for event in found if event.data.get("user_id") == marker]
        audit = db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.target_id == marker)
        ).scalars()
        return found, list(audit)


def test_an_event_and_its_audit_row_commit_together_for_the_bound_tenant(app, tenant):
    tenant_id, _ = tenant
    marker = str(new_id())
    with app.app_context(), tenant_context(tenant_id):
        event = events.emit("user.unlocked", {"user_id": marker}, actor="admin:a1")
        db.session.commit()
    found, audit = _written(app, tenant_id, marker)
    assert [(e.id, e.tenant_id, e.type, e.actor) for e in found] == [
        (event.id, tenant_id, "user.unlocked", "admin:a1")
    ]
    assert found[0].dispatched_at is None
    (entry,) = audit
    assert (entry.tenant_id, entry.action, entry.target_type) == (
        tenant_id,
        "user.unlocked",
        "user",
    )
    assert (entry.actor_type, entry.actor_id) == ("admin", "a1")
    assert entry.created_at == found[0].created_at


def test_a_failed_commit_leaves_neither_the_event_nor_its_audit_row(app, tenant):
    tenant_id, _ = tenant
    marker = str(new_id())
    with app.app_context(), tenant_context(tenant_id):
        events.emit("role.created", {"user_id": marker}, actor="system")
        # A change the database refuses when the commit flushes it: a builtin role's name.
        db.session.add(Role(name="member"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
    assert _written(app, tenant_id, marker) == ([], [])


def test_a_rolled_back_change_emits_nothing(app, tenant):
    tenant_id, _ = tenant
    marker = str(new_id())
    with app.app_context(), tenant_context(tenant_id):
        events.emit("user.unlocked", {"user_id": marker}, actor="system")
        db.session.rollback()
    assert _written(app, tenant_id, marker) == ([], [])


def test_a_savepoint_rolled_back_takes_only_its_own_events(app, tenant):
    tenant_id, _ = tenant
    kept, dropped = str(new_id()), str(new_id())
    with app.app_context(), tenant_context(tenant_id):
        events.emit("user.unlocked", {"user_id": kept}, actor="system")
        savepoint = db.session.begin_nested()
        events.emit("user.unlocked", {"user_id": dropped}, actor="system")
        savepoint.rollback()
        db.session.commit()
    assert [len(rows) for rows in _written(app, tenant_id, kept)] == [1, 1]
    assert _written(app, tenant_id, dropped) == ([], [])


def test_events_are_written_only_for_the_bound_tenant(app, tenant, other_tenant):
    tenant_id, _ = tenant
    marker = str(new_id())
    with app.app_context():
        events.emit("user.unlocked", {"user_id": marker}, actor="system")
        with pytest.raises(TenancyViolation):
            db.session.commit()
        db.session.rollback()
        with tenant_context(tenant_id):
            events.emit("user.unlocked", {"user_id": marker}, actor="system")
            db.session.commit()
    assert _written(app, other_tenant[0], marker) == ([], [])
    assert [len(rows) for rows in _written(app, tenant_id, marker)] == [1, 1]


def test_the_audit_row_has_the_request_facts_and_no_secrets(app, tenant):
    tenant_id, _ = tenant
    marker = str(new_id())
    data = {"user_id": marker, "password": "hunter2", "nested": {"token": "t0ken", "n": 1}}
    environ = {"REMOTE_ADDR": "198.51.100.7"}
    headers = {"User-Agent": "audit-agent/1.0"}
    with app.test_request_context("/x", environ_base=environ, headers=headers):
        g.request_id = "req-0123"
        with tenant_context(tenant_id):
            events.emit("user.password_changed", data, actor=f"user:{marker}")
            db.session.commit()
    _found, (entry,) = _written(app, tenant_id, marker)
    assert (entry.ip, entry.user_agent, entry.request_id) == (
        "198.51.100.7",
        "audit-agent/1.0",
        "req-0123",
    )
    assert (entry.actor_type, entry.actor_id) == ("user", marker)
    assert entry.changes == {
        "user_id": marker,
        "password": "[redacted]",
        "nested": {"token": "[redacted]", "n": 1},
    }


def test_several_events_are_written_in_order_and_subscribers_see_each(
    app, database_url, tmp_path, tenant
):
    tenant_id, _ = tenant
    marker = str(new_id())
    seen: list[tuple[str, object]] = []
    subscribed = make_app(database_url, tmp_path)
    events.subscribe(subscribed, lambda event: seen.append((event.type, event.id)))
    with subscribed.app_context(), tenant_context(tenant_id):
        written = events.emit_many(
            [
                ("session.created", {"user_id": marker, "n": 1}, "system"),
                ("user.login", {"user_id": marker, "n": 2}, "self"),
            ]
        )
        db.session.commit()
        db.engine.dispose()
    assert seen == [(event.type, event.id) for event in written]
    found, audit = _written(app, tenant_id, marker)
    assert [(e.id, e.data["n"]) for e in found] == [(written[0].id, 1), (written[1].id, 2)]
    assert found[0].created_at <= found[1].created_at
    assert sorted(entry.action for entry in audit) == ["session.created", "user.login"]


def test_the_returned_event_is_tracked_by_the_session(app, tenant):
    """Callers may still change it (webhooks mark a test event dispatched by hand)."""
    tenant_id, _ = tenant
    marker = str(new_id())
    with app.app_context(), tenant_context(tenant_id):
        event = events.emit("user.unlocked", {"user_id": marker}, actor="system")
        event.dispatched_at = utcnow()
        db.session.commit()
    (found,), _audit = _written(app, tenant_id, marker)
    assert found.dispatched_at is not None


def test_unknown_event_types_are_refused(app, tenant):
    with app.app_context(), tenant_context(tenant[0]), pytest.raises(ValueError):
        events.emit("user.teleported", {}, actor="system")
