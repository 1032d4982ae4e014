"""Hosted-page forms (Flask-WTF: every form carries a CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional


class LoginForm(FlaskForm):
    identifier = StringField("Email or username", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    return_to = HiddenField()


class MfaForm(FlaskForm):
    code = StringField("Authentication code", validators=[DataRequired(), Length(min=6, max=32)])


class RegisterForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    username = StringField("Username (optional)", validators=[Optional(), Length(max=64)])
    display_name = StringField("Your name (optional)", validators=[Optional(), Length(max=200)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the password",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )
    return_to = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    new_password = PasswordField("New password", validators=[DataRequired(), Length(max=1024)])
    confirm = PasswordField(
        "Repeat the new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
    )


class VerifyEmailForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])


class LogoutForm(FlaskForm):
    return_to = HiddenField()
