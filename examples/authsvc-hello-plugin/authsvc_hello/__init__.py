"""An example admin plugin: a page, a dashboard widget and a per-tenant settings form."""

from __future__ import annotations

from flask import Blueprint, g, render_template
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from authsvc.plugins import AdminPlugin
from authsvc.plugins.service import plugin_settings

bp = Blueprint("hello", __name__, template_folder="templates")


class HelloSettings(FlaskForm):
    greeting = StringField("Greeting", validators=[DataRequired(), Length(max=80)])
    submit = SubmitField("Save")


def _greeting() -> str:
    return plugin_settings("hello").get("greeting") or "Hello"


@bp.get("/")
def index():
    return render_template("hello/index.html", greeting=_greeting(), tenant=g.admin_tenant)


def widget() -> Markup:
    return Markup(
        "<p class='mb-0' data-testid='hello-widget'>{} from the hello plugin.</p>"
    ).format(escape(_greeting()))


plugin = AdminPlugin(
    name="Hello",
    slug="hello",
    nav_label="Hello",
    icon="emoji-smile",
    blueprint=bp,
    dashboard_widget=widget,
    settings_form=HelloSettings,
    description="An example plugin installed from a separate package.",
)
