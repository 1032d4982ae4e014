"""How long the audit trail is kept: ``AUDIT_RETENTION_DAYS``, pruned by a background job.

Security logs are kept for a legal retention period, which differs by
jurisdiction and by business, so the platform keeps them forever unless told
otherwise (0). A user's erasure never deletes their entries (it pseudonymises
them, see :mod:`authsvc.audit.gdpr`); this job deletes every tenant's entries
older than the period, a batch at a time.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from authsvc.audit.models import AuditEntry
from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.jobs import register_job
from authsvc.tenancy import platform_scope, tenant_context

PRUNE_BATCH = 1000
PRUNE_INTERVAL_SECONDS = 3600


def prune(app: Flask) -> int:
    """Job: delete up to a batch of audit entries older than the retention period."""
    with app.app_context():
        days = current_app.config["AUDIT_RETENTION_DAYS"]
        if not days:
            return 0
        cutoff = utcnow() - timedelta(days=days)
        with platform_scope():
            old = db.session.execute(
                sa.select(AuditEntry.tenant_id, AuditEntry.id)
                .where(AuditEntry.created_at < cutoff)
                .limit(PRUNE_BATCH)
            ).all()
        by_tenant: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for tenant_id, entry_id in old:
            by_tenant[tenant_id].append(entry_id)
        for tenant_id, ids in by_tenant.items():
            with tenant_context(tenant_id):
                db.session.execute(sa.delete(AuditEntry).where(AuditEntry.id.in_(ids)))
        db.session.commit()
        return len(old)


def init_app(app: Flask) -> None:
    register_job(app, "audit.prune", prune, PRUNE_INTERVAL_SECONDS)
