"""User, Role and the user-role link: all tenant-owned."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from authsvc.db import Base, TenantOwned, TenantScoped, Timestamps, tenant_fk

BUILTIN_ROLES = {
    "admin": ["*"],
    "member": [],
}


class User(TenantScoped, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "email_normalized"),
        sa.UniqueConstraint("tenant_id", "username_normalized"),
        sa.UniqueConstraint("tenant_id", "external_user_id"),
    )

    email: Mapped[str] = mapped_column(sa.String(254))
    # Lower-cased copy: emails are unique and looked up case-insensitively.
    email_normalized: Mapped[str] = mapped_column(sa.String(254))
    username: Mapped[str | None] = mapped_column(sa.String(64))
    username_normalized: Mapped[str | None] = mapped_column(sa.String(64))
    password_hash: Mapped[str | None] = mapped_column(sa.String(512))
    is_verified: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    display_name: Mapped[str | None] = mapped_column(sa.String(200))
    avatar_url: Mapped[str | None] = mapped_column(sa.String(2048))
    #: The user's language and region, a BCP 47 tag (``de-CH``).
    locale: Mapped[str | None] = mapped_column(sa.String(35))
    # "metadata" is reserved by SQLAlchemy's declarative base.
    user_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    external_user_id: Mapped[str | None] = mapped_column(sa.String(255))
    # End-user preferences, a JSON object per category (e.g. {"notifications": {...}}).
    preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_login_at: Mapped[datetime | None]

    # Loaded on first use (token issue, API output): sign-in failures and
    # lockouts never need them. Reads that show roles join-load them.
    role_links: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="select", overlaps="role"
    )

    @property
    def roles(self) -> list[str]:
        return sorted(link.role.name for link in self.role_links)


class Role(TenantScoped, Timestamps, Base):
    __tablename__ = "roles"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(sa.String(64))
    description: Mapped[str | None] = mapped_column(sa.String(500))
    permissions: Mapped[list[str]] = mapped_column(default=list)
    is_builtin: Mapped[bool] = mapped_column(default=False)


class UserRole(TenantOwned, Base):
    """Membership of a user in a role; both sides must belong to the same tenant."""

    __tablename__ = "user_roles"
    __table_args__ = (
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        tenant_fk("role_id", "roles", ondelete="CASCADE"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)

    role: Mapped[Role] = relationship(lazy="joined", overlaps="role_links")
