"""Built-in Analytics plugin: 30 days of sign-ups, logins and failed logins."""

from __future__ import annotations

from flask import Blueprint, render_template
from markupsafe import Markup

from admin.charts import line_chart
from authsvc import analytics
from authsvc.plugins import AdminPlugin

bp = Blueprint("plugin_analytics", __name__)

DAYS = 30


@bp.get("/")
def index():
    data = analytics.daily_counts(["user.created", "user.login", "user.login_failed"], DAYS)
    activity = line_chart(
        f"Sign-ups and logins per day, last {DAYS} days",
        {"Sign-ups": data["user.created"], "Logins": data["user.login"]},
    )
    failures = line_chart(
        f"Failed logins per day, last {DAYS} days", {"Failed logins": data["user.login_failed"]}
    )
    return render_template("admin/builtin/analytics.html", activity=activity, failures=failures)


def widget() -> Markup:
    """The dashboard card: failed logins against logins over the last day."""
    logins, failed = (
        analytics.event_count("user.login", 1),
        analytics.event_count("user.login_failed", 1),
    )
    # render_template has already escaped every value; Markup only stops a second escape.
    html = render_template("admin/builtin/analytics_widget.html", logins=logins, failed=failed)
    return Markup(html)  # noqa: S704


plugin = AdminPlugin(
    name="Analytics",
    slug="analytics",
    nav_label="Analytics",
    icon="graph-up",
    blueprint=bp,
    dashboard_widget=widget,
    builtin=True,
    enabled_by_default=True,
    description="Sign-ups, logins and failed logins over 30 days.",
)
