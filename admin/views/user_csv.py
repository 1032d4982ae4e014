"""The user list as a CSV download, and a CSV import with a preview before anything is written."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from flask import Response, redirect, render_template, request, stream_with_context, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import attach_errors
from admin.user_forms import ImportConfirmForm, ImportForm
from admin.views.common import actor, flash_done
from admin.views.user_list import listing_from
from authsvc.errors import Conflict, ValidationFailed
from authsvc.spreadsheet import safe_cell
from authsvc.tenancy import current_tenant_id, tenant_context
from authsvc.users import csv_import
from authsvc.users.listing import Listing, iter_pages, page_flags

HEADER = (
    "id", "email", "username", "display_name", "roles", "active", "verified", "mfa", "locked",
    "last_login_at", "created_at",
)  # fmt: skip


def _lines(listing: Listing) -> Iterator[str]:
    out = io.StringIO()
    writer = csv.writer(out)

    def flush() -> str:
        text = out.getvalue()
        out.seek(0)
        out.truncate()
        return text

    writer.writerow(HEADER)
    yield flush()
    for users in iter_pages(listing):
        flags = page_flags(users)
        for user in users:
            writer.writerow(_row(user, flags[user.id]))
        yield flush()


def _row(user, flags: dict[str, bool]) -> list[str]:
    cells = [
        user.id, user.email, user.username, user.display_name, ";".join(user.roles),
        _yes(user.is_active), _yes(user.is_verified), _yes(flags["mfa"]), _yes(flags["locked"]),
        user.last_login_at.isoformat() if user.last_login_at else "", user.created_at.isoformat(),
    ]  # fmt: skip
    return [safe_cell(cell) for cell in cells]


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _bound(tenant_id, lines: Iterator[str]) -> Iterator[str]:
    """Stream ``lines`` under the request's tenant: the request's own binding ends at
    teardown, before the server reads the body."""
    with tenant_context(tenant_id):
        yield from lines


@bp.get("/users/export.csv")
def users_export():
    """The filtered, sorted list as CSV, streamed a page at a time."""
    require_tenant()
    listing = listing_from(request.args)
    headers = {"Content-Disposition": 'attachment; filename="users.csv"'}
    body = stream_with_context(_bound(current_tenant_id(), _lines(listing)))
    return Response(body, mimetype="text/csv", headers=headers)


@bp.route("/users/import", methods=["GET", "POST"])
def users_import():
    """Step one: upload a file and see every row with its errors; nothing is written."""
    require_tenant()
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            text = csv_import.decode(upload.read(csv_import.MAX_BYTES + 1) if upload else b"")
            rows = csv_import.preview(text)
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            confirm = ImportConfirmForm(csv_text=text)
            return render_template("admin/users/import_preview.html", rows=rows, form=confirm)
    status = 422 if form.is_submitted() else 200
    return render_template("admin/users/import.html", form=form), status


@bp.post("/users/import/confirm")
def users_import_confirm():
    """Step two: the admin confirmed; the same text is checked again and the good rows created."""
    require_tenant()
    form = ImportConfirmForm()
    if not form.validate_on_submit():
        return redirect(url_for("admin.users_import"))
    text = form.csv_text.data or ""
    try:
        created, skipped = csv_import.commit(text, actor(), form.send_reset.data)
    except (ValidationFailed, Conflict) as error:
        retry = ImportForm()
        attach_errors(retry, error)
        return render_template("admin/users/import.html", form=retry), 422
    flash_done(f"{created} user(s) imported; {skipped} row(s) with errors skipped.")
    return redirect(url_for("admin.users"))
