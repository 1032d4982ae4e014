"""Hosted-page forms (Flask-WTF: every form carries a CSRF token and refuses unstorable text)."""

from __future__ import annotations

from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from authsvc.storable import StorableForm


class LoginForm(StorableForm):
    identifier = StringField("Email or username", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    return_to = HiddenField()


class MfaForm(StorableForm):
    code = StringField("Authentication code", validators=[DataRequired(), Length(min=6, max=32)])


class RegisterForm(StorableForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    username = StringField("Username (optional)", validators=[Optional(), Length(max=64)])
    display_name = StringField("Your name (optional)", validators=[Optional(), Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    return_to = HiddenField()


class ForgotPasswordForm(StorableForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(StorableForm):
    token = HiddenField(validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class VerifyEmailForm(StorableForm):
    token = HiddenField(validators=[DataRequired()])


class LogoutForm(StorableForm):
    return_to = HiddenField()


class ConsentForm(StorableForm):
    """Allow or deny an application what it asked for (``/oauth2/authorize``)."""

    remember = BooleanField("Remember this decision", default=True)
    allow = SubmitField("Allow")
    deny = SubmitField("Deny")


class ProfileForm(StorableForm):
    display_name = StringField("Your name", validators=[Optional(), Length(max=200)])


class ChangePasswordForm(StorableForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=1024)]
    )
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class TotpConfirmForm(StorableForm):
    code = StringField(
        "6-digit code from your authenticator app", validators=[DataRequired(), Length(max=32)]
    )


class ReauthenticateForm(StorableForm):
    """Proof before a sensitive change: the password, or a current code when MFA is on."""

    password = PasswordField("Your password", validators=[Optional(), Length(max=1024)])
    code = StringField(
        "Or a code from your authenticator app", validators=[Optional(), Length(max=32)]
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not (self.password.data or self.code.data):
            self.password.errors = [*self.password.errors, "Give your password."]
            return False
        return valid


#: The email-change form's field names and ids start with this: the account page also
#: shows the TOTP form's password and code fields, and ids must stay unique.
EMAIL_CHANGE_PREFIX = "email"


class EmailChangeForm(ReauthenticateForm):
    """A new address, with the password (or a code) as proof it is still the user."""

    new_email = EmailField("New email address", validators=[DataRequired(), Length(max=254)])
    # Labels of their own, too: the TOTP form's fields are on the same page.
    password = PasswordField("Password (to confirm)", validators=[Optional(), Length(max=1024)])
    code = StringField(
        "Or an authenticator app code (to confirm)",
        validators=[Optional(), Length(max=32)],
    )


class ConfirmEmailChangeForm(StorableForm):
    token = HiddenField(validators=[DataRequired()])


class ActionForm(StorableForm):
    """A button that changes something: only its CSRF token."""
