"""The Audit log page: who did what to which object, newest first, filterable, as CSV.

A core page of the panel, always there for every admin of the current tenant:
the audit log is not a plugin, so no tenant admin can switch it off. It reads
the trail through :func:`authsvc.audit.service.search` (the same query as
``GET /api/v1/audit``), under the bound tenant.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import Response, render_template, request, url_for

from admin import bp
from admin.access import require_tenant
from authsvc.audit import service
from authsvc.audit.changes import flatten
from authsvc.audit.models import AuditEntry
from authsvc.audit.names import resolve
from authsvc.audit.service import ACTIONS, TARGET_TYPES
from authsvc.errors import ValidationFailed
from authsvc.spreadsheet import safe_cell

PAGE_SIZE = 50
CSV_LIMIT = 10_000


#: Quick filters: a name in the URL (``?quick=``) and the filters it stands for.
QUICK_FILTERS = {
    "failed_sign_ins": (
        "Failed sign-ins",
        {"actions": ("user.login_failed", "admin.login_failed", "identity.login_failed")},
    ),
    "admin_actions": ("Admin actions", {"actor_type": "admin"}),
}
#: Where the panel shows each kind of object an entry can name.
LINKS = {
    "user": lambda ident: url_for("admin.user_edit", user_id=ident),
    "role": lambda ident: url_for("admin.role_edit", role_id=ident),
    "application": lambda ident: url_for("admin.application_edit", application_id=ident),
    "webhook": lambda ident: url_for("admin.webhook_edit", webhook_id=ident),
    "api_key": lambda ident: url_for("admin.api_keys"),
    "admin": lambda ident: url_for("admin.admin_detail", admin_id=ident),
}


def _day(raw: str | None, name: str, errors: dict[str, str]) -> datetime | None:
    """The day a date field names (UTC midnight); a malformed one is a field error."""
    if not raw:
        return None
    try:
        return datetime.combine(datetime.strptime(raw, "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        errors[name] = "Enter a date as YYYY-MM-DD."
        return None


def filters(args: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """Service filters from the form, and the fields' errors (all of them, in one pass):
    actor ``type:id`` (or a bare type), action, target, dates, a quick filter."""
    result: dict[str, Any] = {}
    errors: dict[str, str] = {}
    actor = (args.get("actor") or "").strip()
    if actor:
        kind, _, ident = actor.partition(":")
        result["actor_type"] = {"apikey": "api_key"}.get(kind, kind)
        result["actor_id"] = ident or None
    if args.get("action") in ACTIONS:
        result["action"] = args["action"]
    if args.get("target_type") in TARGET_TYPES:
        result["target_type"] = args["target_type"]
    result["target_id"] = (args.get("target_id") or "").strip() or None
    result["since"] = _day(args.get("since"), "since", errors)
    until = _day(args.get("until"), "until", errors)
    result["until"] = until + timedelta(days=1) if until else None
    if result["since"] and until and until < result["since"]:
        errors["until"] = "The end date is before the start date."
    if args.get("quick") in QUICK_FILTERS:
        result.update(QUICK_FILTERS[args["quick"]][1])
    return result, errors


def _link(kind: str | None, ident: str | None, names: dict) -> dict[str, str | None] | None:
    """How the page shows an actor or target: its name, linked where the panel shows it."""
    if not kind or not ident:
        return None
    named = names.get((kind, ident))
    if named is None:
        return {"label": ident, "url": None, "known": False}
    url = LINKS[kind](named.id) if kind in LINKS else None
    return {"label": named.label, "url": url, "known": True}


def _shown(entries: list[AuditEntry]) -> list[dict[str, Any]]:
    names = resolve(entries)
    return [
        {
            "entry": e,
            "actor": _link(e.actor_type, e.actor_id, names),
            "target": _link(e.target_type, e.target_id, names),
        }
        for e in entries
    ]


@bp.get("/audit")
def audit_log():
    require_tenant()
    args = request.args.to_dict()
    wanted, errors = filters(args)
    page = None if errors else service.search(wanted, args.get("cursor") or None, PAGE_SIZE)
    plain = {k: v for k, v in args.items() if k != "cursor"}
    more = url_for("admin.audit_log", **plain, cursor=page.next_cursor) if page else None
    quick = {key: url_for("admin.audit_log", **{**plain, "quick": key}) for key in QUICK_FILTERS}
    page_html = render_template(
        "admin/audit.html",
        rows=_shown(page.items) if page else [],
        args=args,
        errors=errors,
        more=more if page and page.next_cursor else None,
        actions=ACTIONS,
        target_types=TARGET_TYPES,
        quick=quick,
        quick_labels={key: label for key, (label, _) in QUICK_FILTERS.items()},
        export=url_for("admin.audit_export", **plain),
    )
    return page_html, 400 if errors else 200


@bp.get("/audit/<entry_id>")
def audit_entry(entry_id: str):
    """One entry: who, from where, which request, and each changed field before and after."""
    require_tenant()
    entry = service.get_entry(entry_id)
    shown = _shown([entry])[0]
    changes = dict(entry.changes or {})
    fields = changes.pop("fields", None)
    fields = fields if isinstance(fields, dict) else {}
    return render_template(
        "admin/audit_entry.html",
        row=shown,
        fields={k: v for k, v in fields.items() if isinstance(v, dict)},
        details=flatten(changes),
    )


def _rows(args: dict[str, str]):
    cursor, seen = None, 0
    wanted, errors = filters(args)
    if errors:
        raise ValidationFailed(errors={name: [message] for name, message in errors.items()})
    while seen < CSV_LIMIT:
        page = service.search(wanted, cursor, min(200, CSV_LIMIT - seen))
        yield from page.items
        seen += len(page.items)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _csv_row(entry: AuditEntry) -> list[str]:
    actor = f"{entry.actor_type}:{entry.actor_id}" if entry.actor_id else entry.actor_type
    target = f"{entry.target_type}:{entry.target_id}" if entry.target_id else ""
    cells = [actor, entry.action, target, entry.ip or "", json.dumps(entry.changes, sort_keys=True)]
    return [entry.created_at.isoformat(), *map(safe_cell, cells)]


@bp.get("/audit/export.csv")
def audit_export():
    """The filtered log as CSV (at most CSV_LIMIT rows, newest first)."""
    require_tenant()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "actor", "action", "target", "ip", "changes"])
    for entry in _rows(request.args.to_dict()):
        writer.writerow(_csv_row(entry))
    headers = {"Content-Disposition": 'attachment; filename="audit-log.csv"'}
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)
