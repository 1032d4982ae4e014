"""Forms of the Administrators and My account pages; each carries a CSRF token."""

from __future__ import annotations

from wtforms import (
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from admin.forms import EMAIL
from authsvc.admins.models import ROLES
from authsvc.storable import StorableForm

NEW_PASSWORD = [DataRequired(), Length(min=8, max=1024, message="Use at least 8 characters.")]
AUTOCOMPLETE_NEW = {"autocomplete": "new-password"}
AUTOCOMPLETE_CURRENT = {"autocomplete": "current-password"}


def _role_field() -> SelectField:
    choices = [SelectChoice(value, label) for value, label in ROLES.items()]
    return SelectField("Role", choices=choices, validators=[DataRequired()])


def _confirm_field() -> PasswordField:
    return PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
        render_kw=AUTOCOMPLETE_NEW,
    )


class InviteForm(StorableForm):
    email = EmailField("Email", validators=[DataRequired(), EMAIL, Length(max=254)])
    role = _role_field()
    submit = SubmitField("Send invitation")


class AdminRoleForm(StorableForm):
    role = _role_field()
    submit = SubmitField("Change role")


class SetPasswordForm(StorableForm):
    """A new password from an invitation or reset link (``code`` only when TOTP is required)."""

    password = PasswordField("New password", validators=NEW_PASSWORD, render_kw=AUTOCOMPLETE_NEW)
    confirm = _confirm_field()
    code = StringField(
        "6-digit code from your authenticator app",
        validators=[Optional(), Length(min=6, max=7)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Save password")


class ChangePasswordForm(StorableForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired()], render_kw=AUTOCOMPLETE_CURRENT
    )
    password = PasswordField("New password", validators=NEW_PASSWORD, render_kw=AUTOCOMPLETE_NEW)
    confirm = _confirm_field()
    submit = SubmitField("Change password")


class EnableTotpForm(StorableForm):
    code = StringField(
        "6-digit code from your authenticator app",
        validators=[DataRequired(), Length(min=6, max=7)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Turn on two-factor authentication")


class DisableTotpForm(StorableForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired()], render_kw=AUTOCOMPLETE_CURRENT
    )
    submit = SubmitField("Turn off two-factor authentication")
