"""ApiKey: a tenant-owned credential stored only as a SHA-256 hash."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantScoped, Timestamps

SCOPES = {
    "auth": "Public sign-up and sign-in flows; safe to embed in a browser app.",
    "users:read": "Read users and roles.",
    "users:write": "Create, change and delete users.",
    "sessions": "List and revoke device sessions.",
    "webhooks": "Manage webhook endpoints and read deliveries.",
    "audit:read": "Read the audit log and events.",
    "orgs:read": "Read organizations, members, invitations, roles and permissions.",
    "orgs:write": "Manage organizations, members, invitations, roles and permissions.",
    "admin": "Everything, including API keys and tenant settings.",
}


class ApiKey(TenantScoped, Timestamps, Base):
    __tablename__ = "api_keys"
    # The prefix is looked up before the tenant is known, so it is indexed on its
    # own; it is random enough (60 bits) to be unique without a global constraint,
    # which keeps the table distributable by tenant.
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "prefix"),
        sa.Index("ix_api_keys_prefix", "prefix"),
    )

    name: Mapped[str] = mapped_column(sa.String(100))
    prefix: Mapped[str] = mapped_column(sa.String(16))
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    scopes: Mapped[list[str]] = mapped_column(default=list)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(sa.String(200))

    def grants(self, scope: str) -> bool:
        return "admin" in self.scopes or scope in self.scopes
