"""Flask-WTF forms of the panel; every form carries a CSRF token.

Forms only parse and check the shape of input; the services decide what is
acceptable and their ``ValidationFailed`` errors are put next to the fields
by :func:`attach_errors`.
"""

from __future__ import annotations

import re

from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from authsvc.errors import AuthsvcError
from authsvc.storable import StorableForm
from authsvc.users.schemas import EMAIL_PATTERN, USERNAME_PATTERN

EMAIL = Regexp(EMAIL_PATTERN, message="Enter an email address like ada@example.com.")


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes, keyboard-usable without JavaScript."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhd]?)\s*$", re.IGNORECASE)
UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def format_duration(seconds: int) -> str:
    """``seconds`` in the largest unit that divides it exactly: 900 -> "15m"."""
    for unit, size in UNIT_SECONDS.items():
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return "0s"


class DurationField(StringField):
    """A duration typed with a unit ("15m", "12h", "30d"; a bare number is seconds);
    ``data`` is the number of seconds."""

    def process_formdata(self, valuelist) -> None:
        text = valuelist[0] if valuelist else ""
        self.data = None
        if not text.strip():
            return
        match = DURATION.match(text)
        if match is None:
            raise ValueError("Give a number with a unit: 90s, 15m, 12h or 30d.")
        self.data = int(match[1]) * UNIT_SECONDS[(match[2] or "s").lower()]

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return format_duration(self.data) if isinstance(self.data, int) else ""


class LoginForm(StorableForm):
    email = EmailField("Email", validators=[DataRequired(), EMAIL])
    password = PasswordField("Password", validators=[DataRequired()])
    next = HiddenField()
    submit = SubmitField("Sign in")


class TotpForm(StorableForm):
    code = StringField(
        "6-digit code from your authenticator app",
        validators=[DataRequired(), Length(min=6, max=7)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Verify")


class ConfirmForm(StorableForm):
    """An explicit confirmation step before a destructive action."""

    confirm = BooleanField("I understand this cannot be undone", validators=[DataRequired()])
    submit = SubmitField("Confirm")


class ActionForm(StorableForm):
    """A button that posts (enable, disable, revoke...): only the CSRF token."""

    submit = SubmitField("Go")


class SwitchTenantForm(StorableForm):
    tenant = SelectField("Current tenant", choices=[])
    submit = SubmitField("Switch")


class UserForm(StorableForm):
    email = EmailField("Email", validators=[DataRequired(), EMAIL, Length(max=254)])
    username = StringField(
        "Username",
        validators=[
            Optional(),
            Regexp(USERNAME_PATTERN, message="Use 3-64 letters, digits, '.', '_' or '-'."),
        ],
    )
    display_name = StringField("Display name", validators=[Optional(), Length(max=200)])
    # Checked against the tenant's password policy by the user service, like every password.
    password = PasswordField(
        "Password", validators=[Optional(), Length(max=1024)], description="Optional."
    )
    roles = MultiCheckboxField("Roles", choices=[])
    is_verified = BooleanField("Email verified")
    is_active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class RoleForm(StorableForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=64)])
    description = StringField("Description", validators=[Optional(), Length(max=500)])
    permissions = TextAreaField(
        "Permissions", description="One per line, e.g. orders:read. Use * for everything."
    )
    submit = SubmitField("Save")


class OrganizationForm(StorableForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        "Slug",
        validators=[DataRequired(), Length(max=63)],
        description="Lower-case letters, digits and '-'; unique in the tenant.",
    )
    domains = TextAreaField(
        "Email domains",
        description="One per line. Verified users with an address there may join by themselves.",
    )
    submit = SubmitField("Save")


class MemberForm(StorableForm):
    """Add an existing user of the tenant to an organization, by email."""

    email = EmailField("User's email", validators=[DataRequired(), EMAIL, Length(max=254)])
    roles = MultiCheckboxField("Roles", choices=[])
    submit = SubmitField("Add member")


class MemberRolesForm(StorableForm):
    roles = MultiCheckboxField("Roles", choices=[])
    submit = SubmitField("Save roles")


class InvitationForm(StorableForm):
    email = EmailField("Email", validators=[DataRequired(), EMAIL, Length(max=254)])
    roles = MultiCheckboxField(
        "Roles", choices=[], description="Given when the invitation is accepted."
    )
    submit = SubmitField("Send invitation")


class ApiKeyForm(StorableForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    scopes = MultiCheckboxField("Scopes", choices=[])
    expires_in_days = IntegerField(
        "Expires in (days)", validators=[Optional(), NumberRange(min=1, max=3650)]
    )
    submit = SubmitField("Create key")


class ApplicationForm(StorableForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    client_type = SelectField(
        "Client type",
        choices=[
            SelectChoice("confidential", "Confidential (server-side app with a client secret)"),
            SelectChoice("public", "Public (single-page or native app; PKCE required)"),
        ],
    )
    redirect_uris = TextAreaField("Redirect URIs (one per line, exact)")
    post_logout_redirect_uris = TextAreaField("Post-logout redirect URIs (one per line)")
    grant_types = MultiCheckboxField("Grant types", choices=[])
    scopes = MultiCheckboxField("Scopes it may ask for", choices=[])
    first_party = BooleanField("First-party (the tenant's own app: no consent page)")
    access_token_ttl_seconds = IntegerField(
        "Access token lifetime (seconds, empty: tenant policy)", validators=[Optional()]
    )
    refresh_token_ttl_seconds = IntegerField(
        "Refresh token lifetime (seconds, empty: tenant policy)", validators=[Optional()]
    )
    submit = SubmitField("Save")


def _colour(label: str) -> StringField:
    return StringField(
        label, validators=[DataRequired(), Length(max=7)], render_kw={"type": "color"}
    )


class ThemeForm(StorableForm):
    primary_color = _colour("Primary colour")
    secondary_color = _colour("Secondary colour")
    accent_color = _colour("Accent colour")
    background_color = _colour("Background colour")
    text_color = _colour("Text colour")
    font_stack = StringField(
        "Font stack",
        validators=[DataRequired(), Length(max=300)],
        description='Font names separated by commas, e.g. "Inter", Arial, sans-serif.',
    )
    custom_css = TextAreaField(
        "Custom CSS",
        description="Optional. No @import, no url() to other hosts, no expression(), no script.",
        render_kw={"rows": 6, "spellcheck": "false", "class": "font-monospace"},
    )
    submit = SubmitField("Save theme")


class ThemeAssetForm(StorableForm):
    logo = FileField("Logo", description="PNG, SVG or ICO, at most 256 KiB.")
    favicon = FileField("Favicon", description="PNG, SVG or ICO.")
    submit = SubmitField("Upload")


class WebhookForm(StorableForm):
    url = StringField(
        "Endpoint URL",
        validators=[DataRequired(), Length(max=2048)],
        description="https://… that receives signed POSTs.",
    )
    description = StringField("Description", validators=[Optional(), Length(max=500)])
    # Choices come from the events catalogue (admin/views/webhooks.py); the field
    # refuses anything else.
    event_types = MultiCheckboxField("Events", choices=[])
    is_active = BooleanField("Active", default=True)
    submit = SubmitField("Save")


class ReplayForm(StorableForm):
    """Queue a webhook's failed deliveries again, from a moment on (UTC)."""

    since = DateTimeLocalField(
        "Failed since (UTC)",
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[DataRequired(message="Give a date and time, such as 2026-12-05T09:30.")],
    )
    confirm = BooleanField(
        "Send these deliveries again now", validators=[DataRequired(message="Tick to confirm.")]
    )
    submit = SubmitField("Replay failed deliveries")


class ProviderForm(StorableForm):
    """A sign-in provider; the client secret is write-only (empty keeps the current one)."""

    kind = SelectField(
        "Kind",
        choices=[
            SelectChoice("oidc", "OpenID Connect (any provider)"),
            SelectChoice("microsoft", "Microsoft Entra ID"),
            SelectChoice("google", "Google"),
            SelectChoice("github", "GitHub"),
        ],
    )
    display_name = StringField(
        "Button label",
        validators=[DataRequired(), Length(max=100)],
        description="e.g. Sign in with Contoso",
    )
    client_id = StringField("Client ID", validators=[DataRequired(), Length(max=255)])
    client_secret = PasswordField(
        "Client secret",
        validators=[Optional(), Length(max=512)],
        description="Stored sealed and never shown again; leave empty to keep the current one.",
        render_kw={"autocomplete": "new-password"},
    )
    directory = StringField(
        "Directory (tenant) ID",
        validators=[Optional(), Length(max=64)],
        description="Microsoft Entra ID only: the directory ID, or common, organizations "
        "or consumers.",
    )
    issuer = StringField(
        "Issuer URL",
        validators=[Optional(), Length(max=2048)],
        description="OpenID Connect: the issuer (discovery at /.well-known/openid-configuration). "
        "GitHub: only for GitHub Enterprise Server.",
    )
    scopes = StringField(
        "Scopes",
        validators=[Optional(), Length(max=1000)],
        description="Space-separated; empty for the kind's defaults.",
    )
    icon_url = StringField("Icon URL", validators=[Optional(), Length(max=2048)])
    enabled = BooleanField("Enabled: show the button and allow sign-ins", default=True)
    link_by_email = BooleanField(
        "Link a first sign-in to the existing account with the same, provider-verified email"
    )
    trust_upstream_mfa = BooleanField(
        "Trust the provider's MFA: skip the TOTP step when its ID token's amr says it did MFA"
    )
    submit = SubmitField("Save")


class TenantSettingsForm(StorableForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    domains = TextAreaField("Domains", description="Host names of the hosted pages, one a line.")
    cors_origins = TextAreaField(
        "CORS origins", description="e.g. https://app.example.com, one a line."
    )
    password_min_length = IntegerField(
        "Minimum password length", validators=[Optional(), NumberRange(min=8, max=128)]
    )
    require_mfa_for_admins = BooleanField("Require TOTP for administrators")
    allow_unverified_login = BooleanField("Users may sign in before verifying their email")
    registration_conflict = SelectField(
        "Sign-up with an address that has an account",
        choices=[
            SelectChoice("409", "Say the address is taken (409)"),
            SelectChoice("email_owner", "Answer as for any sign-up and email the address's owner"),
        ],
        default="409",
    )
    access_token_ttl_seconds = DurationField(
        "Access token lifetime",
        validators=[Optional(), NumberRange(min=60, message="At least 1 minute (1m).")],
        description="A number with a unit: 90s, 15m, 12h or 30d.",
    )
    refresh_token_ttl_seconds = DurationField(
        "Refresh token lifetime",
        validators=[Optional(), NumberRange(min=300, message="At least 5 minutes (5m).")],
        description="A number with a unit: 15m, 12h, 30d.",
    )
    rate_limit = StringField(
        "API rate limit", validators=[Optional(), Length(max=64)], description="e.g. 600/minute"
    )
    submit = SubmitField("Save")


class TenantCreateForm(TenantSettingsForm):
    slug = StringField("Slug", validators=[DataRequired(), Length(max=63)])


def attach_errors(form: StorableForm, error: AuthsvcError) -> None:
    """Show a service's field errors (``settings.x`` → field ``x``) next to the fields."""
    for key, messages in (error.extra.get("errors") or {}).items():
        name = key.rsplit(".", 1)[-1]
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.append(f"{key}: {' '.join(map(str, messages))}")
    if not error.extra.get("errors"):
        form.form_errors.append(error.detail)


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]
