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
from authsvc.audit.models import AuditEntry
from authsvc.audit.service import ACTIONS, TARGET_TYPES

PAGE_SIZE = 50
CSV_LIMIT = 10_000


def _day(raw: str | None) -> datetime | None:
    try:
        return datetime.combine(datetime.strptime(raw or "", "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        return None


def filters(args: dict[str, str]) -> dict[str, Any]:
    """Service filters from the form: actor ``type:id`` (or a bare type), action, target, dates."""
    result: dict[str, Any] = {}
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
    result["since"] = _day(args.get("since"))
    until = _day(args.get("until"))
    result["until"] = until + timedelta(days=1) if until else None
    return result


@bp.get("/audit")
def audit_log():
    require_tenant()
    args = request.args.to_dict()
    page = service.search(filters(args), args.get("cursor") or None, PAGE_SIZE)
    plain = {k: v for k, v in args.items() if k != "cursor"}
    more = url_for("admin.audit_log", **plain, cursor=page.next_cursor)
    return render_template(
        "admin/audit.html",
        rows=page.items,
        args=args,
        more=more if page.next_cursor else None,
        actions=ACTIONS,
        target_types=TARGET_TYPES,
        export=url_for("admin.audit_export", **plain),
    )


def _rows(args: dict[str, str]):
    cursor, seen = None, 0
    while seen < CSV_LIMIT:
        page = service.search(filters(args), cursor, min(200, CSV_LIMIT - seen))
        yield from page.items
        seen += len(page.items)
        if not page.next_cursor:
            return
        cursor = page.next_cursor


def _csv_row(entry: AuditEntry) -> list[str]:
    actor = f"{entry.actor_type}:{entry.actor_id}" if entry.actor_id else entry.actor_type
    target = f"{entry.target_type}:{entry.target_id}" if entry.target_id else ""
    cells = [actor, entry.action, target, entry.ip or "", json.dumps(entry.changes, sort_keys=True)]
    return [entry.created_at.isoformat(), *map(_cell, cells)]


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


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
