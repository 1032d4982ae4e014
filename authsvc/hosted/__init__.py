"""Hosted pages under ``/t/<slug>/``: the tenant is bound from the URL prefix."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, Flask, g, render_template

from authsvc.errors import NotFound
from authsvc.extensions import db
from authsvc.tenancy import bind_request_tenant
from authsvc.tenants.models import Tenant

bp = Blueprint("hosted", __name__, url_prefix="/t/<slug>")


@bp.url_value_preprocessor
def _bind_tenant(_endpoint, values) -> None:
    slug = values.pop("slug")
    tenant = db.session.execute(
        sa.select(Tenant).where(Tenant.slug == slug, Tenant.is_active.is_(True))
    ).scalar_one_or_none()
    if tenant is None:
        raise NotFound(f"No tenant {slug!r}.")
    g.tenant = tenant
    bind_request_tenant(tenant.id)


@bp.url_defaults
def _add_slug(_endpoint, values) -> None:
    if "slug" not in values and "tenant" in g:
        values["slug"] = g.tenant.slug


@bp.get("/")
def home():
    """The tenant's landing page."""
    return render_template("hosted/home.html", tenant=g.tenant)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
