"""The admin panel blueprint (its pages arrive with the admin-panel work)."""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
def index():
    """Where the panel will live; for now it says how to administer from the CLI."""
    return render_template("admin/index.html")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
