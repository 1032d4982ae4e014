"""Tenant (a platform-level table) and its custom domains (tenant-owned rows)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantOwned, Timestamps, new_id

PENDING, VERIFIED = "pending", "verified"


class Tenant(Timestamps, Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)

    @property
    def domains(self) -> list[str]:
        """Names of the tenant's custom domains, pending or verified."""
        from authsvc.tenants.domains import domain_names

        return domain_names(self)


class TenantDomain(TenantOwned, Timestamps, Base):
    """A host name a tenant claims for its hosted pages.

    It is ``pending`` until the tenant proves it controls the name (a DNS TXT
    record or an HTTP token carrying ``token``); only a ``verified`` domain routes
    requests, and a name is verified for at most one tenant (the partial unique
    index), so a pending claim reserves nothing.
    """

    __tablename__ = "tenant_domains"
    __table_args__ = (
        sa.Index(
            "uq_tenant_domains_verified_domain",
            "domain",
            unique=True,
            postgresql_where=sa.text("status = 'verified'"),
            sqlite_where=sa.text("status = 'verified'"),
        ),
    )

    domain: Mapped[str] = mapped_column(sa.String(253), primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    token: Mapped[str | None] = mapped_column(sa.String(64))
    verified_at: Mapped[datetime | None]
