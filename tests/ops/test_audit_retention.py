"""AUDIT_RETENTION_DAYS: entries past the period go, newer ones and other settings stay."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from authsvc.audit.models import AuditEntry
from authsvc.audit.retention import prune
from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.tenancy import tenant_context


def _entries(app, tenant) -> list[str]:
    with app.app_context(), tenant_context(tenant[0]):
        rows = db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.created_at))
        return list(rows.scalars())


def _age_all(app, tenant, days: int) -> None:
    with app.app_context(), tenant_context(tenant[0]):
        moment = utcnow() - timedelta(days=days)
        db.session.execute(sa.update(AuditEntry).values(created_at=moment))
        db.session.commit()


def test_entries_older_than_the_period_are_pruned_and_younger_ones_kept(
    app, api_client, tenant, other_tenant, monkeypatch
):
    api_client(tenant, ["users:write"]).post("/users", json={"email": "old@example.com"})
    api_client(other_tenant, ["users:write"]).post("/users", json={"email": "old@example.com"})
    _age_all(app, tenant, 40)
    _age_all(app, other_tenant, 40)
    api_client(tenant, ["users:write"]).post("/users", json={"email": "new@example.com"})
    assert prune(app) == 0  # 0 days: kept forever by default
    monkeypatch.setitem(app.config, "AUDIT_RETENTION_DAYS", 30)
    while prune(app):
        pass
    # The new key's creation and the new user remain; everything 40 days old is gone.
    assert _entries(app, tenant) == ["apikey.created", "user.created"]
    assert _entries(app, other_tenant) == []
