"""The user list: search, filters, sorting, pages both ways, and bulk actions on a selection.

Every lookup runs under the bound tenant (:mod:`authsvc.users.listing`,
:mod:`authsvc.users.bulk`), so another tenant's user id selected for a bulk
action is a 404 and nothing changes.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from wtforms import SelectChoice

from admin import bp
from admin.access import require_tenant
from admin.forms import attach_errors
from admin.user_forms import BULK_ACTIONS, BulkConfirmForm, BulkForm
from admin.views.common import actor, flash_done
from authsvc.errors import ValidationFailed
from authsvc.users import bulk, roles
from authsvc.users.listing import SORTS, Listing, count_users, list_users, page_flags

PAGE_SIZES = (10, 25, 50, 100)
YES_NO = {"yes": True, "no": False}
SORT_LABELS = {"created": "Created", "last_login": "Last sign-in", "email": "Email"}


def listing_from(args) -> Listing:
    """The list's filters and order from the query string (unknown values are ignored)."""
    filters = {
        "contains": args.get("q", "").strip() or None,
        "is_active": YES_NO.get(args.get("active", "")),
        "is_verified": YES_NO.get(args.get("verified", "")),
        "mfa": YES_NO.get(args.get("mfa", "")),
        "locked": YES_NO.get(args.get("locked", "")),
        "role": args.get("role", "").strip()[:64] or None,
    }
    sort = args.get("sort") if args.get("sort") in SORTS else "created"
    return Listing(filters, sort, args.get("dir") == "desc")


def _page_size() -> int:
    size = request.args.get("size", type=int)
    return size if size in PAGE_SIZES else 25


@bp.get("/users")
def users():
    """The user list: search anywhere in email, username or name; a count; pages both ways.

    Pages go forward by cursor; ``h`` keeps the cursors of the pages before this one,
    so "Previous" is a link like any other (and the browser's back button agrees).
    """
    require_tenant()
    listing, size = listing_from(request.args), _page_size()
    cursor = request.args.get("cursor") or None
    page = list_users(listing, cursor, size)
    history = request.args.getlist("h")
    prev_url, next_url = _page_links(cursor, page.next_cursor, history)
    form = BulkForm()
    names = [role.name for role in roles.list_roles()]
    form.role.choices = _role_choices(names)
    return render_template(
        "admin/users/list.html",
        page=page,
        flags=page_flags(page.items),
        total=count_users(listing),
        number=len(history) + 1 if cursor else 1,
        size=size,
        sizes=PAGE_SIZES,
        next_url=next_url,
        prev_url=prev_url,
        args=request.args,
        listing=listing,
        sort_labels=SORT_LABELS,
        sort_url=_sort_url,
        form=form,
        role_names=names,
        export_url=url_for("admin.users_export", **_kept_args()),
    )


def _kept_args() -> dict:
    """The query string without the page position: filters, order and size."""
    return {k: v for k, v in request.args.items() if k not in ("cursor", "h")}


def _sort_url(sort: str, listing: Listing) -> str:
    """The list sorted by ``sort``: ascending, or flipped when already sorted by it."""
    descending = listing.sort == sort and not listing.descending
    args = {**_kept_args(), "sort": sort, "dir": "desc" if descending else "asc"}
    return url_for("admin.users", **args)


def _page_links(cursor: str | None, next_cursor: str | None, history: list[str]):
    """URLs of the previous and next pages (None where there is none), filters kept."""
    args = _kept_args()
    next_url = prev_url = None
    if next_cursor:
        next_url = url_for("admin.users", **args, cursor=next_cursor, h=[*history, cursor or ""])
    if cursor:
        back = {"cursor": history[-1]} if history and history[-1] else {}
        prev_url = url_for("admin.users", **args, **back, h=history[:-1])
    return prev_url, next_url


def _role_choices(names: list[str] | None = None) -> list[SelectChoice]:
    names = [role.name for role in roles.list_roles()] if names is None else names
    return [SelectChoice("", "—")] + [SelectChoice(name, name) for name in names]


@bp.post("/users/bulk")
def users_bulk():
    """A bulk action: the list posts the selection here, a confirmation page lists the
    count, and its confirmed post (``step=confirm``) runs the action in one transaction."""
    require_tenant()
    form = BulkConfirmForm()
    form.role.choices = _role_choices()
    ids = request.form.getlist("ids")
    if not ids:
        flash("Select at least one user first.", "warning")
        return _back_to_list()
    selected = bulk.get_users(ids)
    confirming = request.form.get("step") == "confirm"
    if confirming and form.validate_on_submit():
        try:
            changed = bulk.apply(selected, form.action.data, form.role.data, actor())
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            label = BULK_ACTIONS[form.action.data]
            flash_done(f"{label}: {changed} of {len(selected)} selected user(s) changed.")
            return _back_to_list()
    if not confirming:
        form.confirm.errors = []  # the first view of the page is not a failed confirmation
    return render_template(
        "admin/users/bulk_confirm.html",
        form=form,
        users=selected,
        action_label=BULK_ACTIONS.get(form.action.data, "?"),
        back=_back_url(),
    ), (422 if confirming else 200)


def _back_url() -> str:
    back = request.form.get("back") or ""
    # Only a page of the user list: the field must never send the admin elsewhere.
    return back if back.startswith("/admin/users") else url_for("admin.users")


def _back_to_list():
    return redirect(_back_url())
