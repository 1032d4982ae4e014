"""The admin panel: server-rendered pages for platform and tenant administrators.

``init_app`` wires the panel's extensions (CSRF, Flask-Login, Bootstrap
served locally), its core pages (among them the audit log, ``/admin/audit``,
which is not a plugin and cannot be disabled), and the plugin registry whose
built-in plugins are the Analytics and Settings pages.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    from admin import access, auth, nav, views  # noqa: F401 - modules register routes on bp
    from admin.builtin import builtin_plugins
    from authsvc import plugins
    from authsvc.extensions import bootstrap, login_manager

    login_manager.init_app(app)
    login_manager.session_protection = "strong"
    bootstrap.init_app(app)
    app.register_blueprint(bp)
    plugins.init_app(app, builtin_plugins())
    # App-wide hooks run before any blueprint's own, so a plugin's hooks only run
    # once the guard has let the request through; it does nothing off plugin routes.
    app.before_request(access.guard_plugin)
    app.context_processor(nav.panel_context)
