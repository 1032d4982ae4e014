"""Hosted pages under ``/t/<slug>/``: the tenant is bound from the URL prefix."""

from __future__ import annotations

from flask import Blueprint, Flask, g, render_template

from authsvc.hosted.resolve import bind, tenant_for_slug

bp = Blueprint("hosted", __name__, url_prefix="/t/<slug>")


@bp.url_value_preprocessor
def _bind_tenant(_endpoint, values) -> None:
    bind(tenant_for_slug(values.pop("slug")))


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
