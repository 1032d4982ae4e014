"""A tenant's theme (colours, font, custom CSS) and its uploaded assets (logo, favicon)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from authsvc.db import Base, TenantOwned, utcnow

#: The platform look, used for every field a tenant has not set.
DEFAULTS = {
    "primary_color": "#2563eb",
    "secondary_color": "#475569",
    "accent_color": "#f59e0b",
    "background_color": "#ffffff",
    "text_color": "#111827",
    "font_stack": 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
}
COLOR_FIELDS = (
    "primary_color",
    "secondary_color",
    "accent_color",
    "background_color",
    "text_color",
)
ASSET_KINDS = ("logo", "favicon")


class Theme(TenantOwned, Base):
    """One row per tenant (its primary key is the tenant id); absent means the defaults."""

    __tablename__ = "themes"

    primary_color: Mapped[str] = mapped_column(sa.String(7), default=DEFAULTS["primary_color"])
    secondary_color: Mapped[str] = mapped_column(sa.String(7), default=DEFAULTS["secondary_color"])
    accent_color: Mapped[str] = mapped_column(sa.String(7), default=DEFAULTS["accent_color"])
    background_color: Mapped[str] = mapped_column(
        sa.String(7), default=DEFAULTS["background_color"]
    )
    text_color: Mapped[str] = mapped_column(sa.String(7), default=DEFAULTS["text_color"])
    font_stack: Mapped[str] = mapped_column(sa.String(300), default=DEFAULTS["font_stack"])
    # Stored only after sanitising (see authsvc.themes.css); served as its own stylesheet.
    custom_css: Mapped[str | None] = mapped_column(sa.Text)
    # Bumped on every change: it is the cache-busting part of the stylesheet URLs.
    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ThemeAsset(TenantOwned, Base):
    """An uploaded logo or favicon, kept in the database so every replica can serve it."""

    __tablename__ = "theme_assets"

    kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    content_type: Mapped[str] = mapped_column(sa.String(64))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
