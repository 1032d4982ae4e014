"""The dashboard: the current tenant at a glance, plus the plugins' widgets."""

from __future__ import annotations

import logging

from flask import current_app, g, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import MethodNotAllowed

from admin import bp
from admin.access import permissions
from admin.charts import line_chart
from authsvc import analytics
from authsvc.errors import NotFound
from authsvc.plugins import registry
from authsvc.plugins.service import enabled_slugs

log = logging.getLogger(__name__)


def _widgets() -> list[tuple[str, Markup]]:
    """Each enabled plugin's dashboard widget; a failing widget is logged and left out."""
    widgets, enabled, allowed = [], enabled_slugs(), permissions()
    for plugin in registry:
        if plugin.dashboard_widget is None or plugin.slug not in enabled:
            continue
        if plugin.permission not in allowed:
            continue
        try:
            # Plugins are installed code rendering their own (escaping) templates.
            widgets.append((plugin.name, Markup(plugin.dashboard_widget())))  # noqa: S704
        except Exception:  # a plugin must never take the dashboard down
            log.exception("dashboard widget of plugin %s failed", plugin.slug)
    return widgets


@bp.get("/")
def dashboard():
    """Users, sign-ups and logins per day, failed logins; or how to start."""
    if g.admin_tenant is None:
        return render_template("admin/dashboard.html", stats=None)
    stats = {
        "users": analytics.user_count(),
        "signups_7d": analytics.event_count("user.created", 7),
        "logins_7d": analytics.event_count("user.login", 7),
        "failed_logins_7d": analytics.event_count("user.login_failed", 7),
        "active_sessions": analytics.active_session_count(),
    }
    data = analytics.daily_counts(["user.created", "user.login"], 14)
    chart = line_chart(
        "Sign-ups and logins per day, last 14 days",
        {"Sign-ups": data["user.created"], "Logins": data["user.login"]},
    )
    return render_template(
        "admin/dashboard.html",
        stats=stats,
        chart=chart,
        webhooks=analytics.webhook_health(),
        widgets=_widgets(),
    )


@bp.route("/<path:unknown>")
def unknown_page(unknown: str):
    """An unknown panel URL: after the sign-in guard, a 404 inside the panel's layout.

    A GET of a POST-only page (``/admin/logout``) also lands here: that stays a 405.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    others = set(adapter.allowed_methods(request.path)) - {"GET", "HEAD", "OPTIONS"}
    if others:
        raise MethodNotAllowed(valid_methods=sorted(others))
    raise NotFound("There is no such page in the admin panel.")
