"""Forms of the user pages' tabs, the bulk actions and the CSV import (each with CSRF)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, SubmitField, TextAreaField
from wtforms.validators import DataRequired

from admin.forms import MultiCheckboxField
from authsvc.storable import StorableForm


class MetadataForm(StorableForm):
    metadata = TextAreaField(
        "Metadata (JSON object)",
        description='Free-form JSON your applications read, such as {"plan": "pro"}.',
        render_kw={"rows": 14, "spellcheck": "false", "class": "font-monospace"},
    )
    submit = SubmitField("Save metadata")


class UserRolesForm(StorableForm):
    roles = MultiCheckboxField("Roles", choices=[])
    submit = SubmitField("Save roles")


BULK_ACTIONS = {
    "disable": "Disable",
    "enable": "Enable",
    "verify": "Mark email verified",
    "add_role": "Add role",
    "remove_role": "Remove role",
    "revoke_sessions": "Revoke all sessions",
    "delete": "Delete",
}


class BulkForm(StorableForm):
    """The list's bulk bar; ``ids`` are the ticked rows (read with ``getlist``)."""

    action = SelectField("Action", choices=[SelectChoice(k, v) for k, v in BULK_ACTIONS.items()])
    role = SelectField("Role", choices=[], validate_choice=False)
    submit = SubmitField("Apply to selected")


class BulkConfirmForm(BulkForm):
    confirm = BooleanField("Yes, apply this to every selected user", validators=[DataRequired()])
    submit = SubmitField("Confirm")


class ImportForm(StorableForm):
    file = FileField(
        "CSV file",
        description="Columns: email, username, display_name, roles "
        "(separated by ;), verified (yes/no). At most 1,000 rows and 256 KiB.",
    )
    submit = SubmitField("Preview")


class ImportConfirmForm(StorableForm):
    # The previewed CSV travels back in the confirmation form, so nothing is stored
    # before the admin confirms; it is parsed and checked again then.
    csv_text = HiddenField()
    send_reset = BooleanField("Email each new user a link to set their password")
    submit = SubmitField("Import")
