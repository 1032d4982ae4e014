"""Organizations inside a tenant, their memberships and invitations; all tenant-owned."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from authsvc.db import Base, TenantOwned, TenantScoped, Timestamps, tenant_fk
from authsvc.users.models import Role

PENDING, ACCEPTED, REVOKED = "pending", "accepted", "revoked"


class Organization(TenantScoped, Timestamps, Base):
    __tablename__ = "organizations"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "slug"),)

    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(63))
    # "metadata" is reserved by SQLAlchemy's declarative base.
    org_metadata: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    #: Email domains whose verified users may join by themselves (lower case).
    domains: Mapped[list[str]] = mapped_column(default=list)


class Membership(TenantScoped, Timestamps, Base):
    __tablename__ = "memberships"
    __table_args__ = (
        tenant_fk("organization_id", "organizations", ondelete="CASCADE"),
        tenant_fk("user_id", "users", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "organization_id", "user_id"),
        sa.Index("ix_memberships_user", "tenant_id", "user_id"),
    )

    organization_id: Mapped[uuid.UUID]
    user_id: Mapped[uuid.UUID]

    role_links: Mapped[list[MembershipRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", overlaps="role"
    )

    @property
    def roles(self) -> list[str]:
        return sorted(link.role.name for link in self.role_links)


class MembershipRole(TenantOwned, Base):
    """A role a member holds in one organization; the roles are the tenant's own."""

    __tablename__ = "membership_roles"
    __table_args__ = (
        tenant_fk("membership_id", "memberships", ondelete="CASCADE"),
        tenant_fk("role_id", "roles", ondelete="CASCADE"),
    )

    membership_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    role_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)

    role: Mapped[Role] = relationship(lazy="joined", overlaps="role_links")


class Invitation(TenantScoped, Timestamps, Base):
    __tablename__ = "invitations"
    __table_args__ = (
        tenant_fk("organization_id", "organizations", ondelete="CASCADE"),
        sa.UniqueConstraint("tenant_id", "token_hash"),
        sa.Index("ix_invitations_organization", "tenant_id", "organization_id"),
    )

    organization_id: Mapped[uuid.UUID]
    email: Mapped[str] = mapped_column(sa.String(254))
    email_normalized: Mapped[str] = mapped_column(sa.String(254))
    #: Role names given on acceptance (a role deleted meanwhile is skipped).
    roles: Mapped[list[str]] = mapped_column(default=list)
    token_hash: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime]
    inviter: Mapped[str | None] = mapped_column(sa.String(200))
    state: Mapped[str] = mapped_column(sa.String(16), default=PENDING)
    accepted_by: Mapped[uuid.UUID | None]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Permission(TenantScoped, Timestamps, Base):
    """A permission the tenant declares; roles may name only declared ones (or ``*``)."""

    __tablename__ = "permissions"
    __table_args__ = (sa.UniqueConstraint("tenant_id", "name"),)

    name: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str | None] = mapped_column(sa.String(500))
