"""Tenant and its domains (platform-level tables, not tenant-scoped)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from authsvc.db import Base, Timestamps, new_id


class Tenant(Timestamps, Base):
    __tablename__ = "tenants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)

    domain_rows: Mapped[list[TenantDomain]] = relationship(
        back_populates="tenant", cascade="all, delete-orphan", order_by="TenantDomain.domain"
    )

    @property
    def domains(self) -> list[str]:
        return [row.domain for row in self.domain_rows]


class TenantDomain(Base):
    """A host name that serves a tenant's hosted pages; unique across the platform."""

    __tablename__ = "tenant_domains"

    domain: Mapped[str] = mapped_column(sa.String(253), primary_key=True)
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="CASCADE"), index=True
    )
    tenant: Mapped[Tenant] = relationship(back_populates="domain_rows")
