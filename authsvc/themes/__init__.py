"""Per-tenant themes: colours, font, logo, favicon, custom CSS and template overrides.

``init_app`` installs the tenant-aware Jinja environment
(:mod:`authsvc.themes.templating`); the service functions live in
:mod:`authsvc.themes.service`.
"""

from __future__ import annotations

from flask import Flask
from jinja2 import ChoiceLoader

from authsvc.themes.templating import TenantEnvironment, TenantOverrideLoader


def init_app(app: Flask) -> None:
    if "jinja_env" in app.__dict__:
        raise RuntimeError("themes.init_app must run before anything touches app.jinja_env")
    app.jinja_environment = TenantEnvironment
    app.jinja_env.loader = ChoiceLoader([TenantOverrideLoader(), app.jinja_env.loader])
    from authsvc.themes import views

    app.register_blueprint(views.bp)
    app.extensions["authsvc.themes"] = {"templates_path": app.config["THEMES_TEMPLATES_PATH"]}
