"""Admin accounts live outside any tenant; memberships say which tenants they run."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from authsvc.db import Base, Timestamps, new_id


class Admin(Timestamps, Base):
    __tablename__ = "admins"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(512))
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)

    memberships: Mapped[list[AdminMembership]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class AdminMembership(Base):
    __tablename__ = "admin_memberships"

    admin_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("admins.id", ondelete="CASCADE"), primary_key=True
    )
    tenant_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
