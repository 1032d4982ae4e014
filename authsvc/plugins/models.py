"""Per-tenant state of an admin plugin: enabled or not, and its settings."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantOwned, Timestamps


class TenantPlugin(TenantOwned, Timestamps, Base):
    """A tenant's choice for one plugin; no row means the plugin's default applies."""

    __tablename__ = "tenant_plugins"

    slug: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
