"""Built-in Audit log plugin: who did what to which object, filterable, as CSV.

It reads the event outbox (every service stages an event with its actor in the
same transaction as the change), newest first, under the bound tenant.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, render_template, request, url_for

from authsvc.events import EVENT_TYPES, Event
from authsvc.extensions import db
from authsvc.ids import parse_id
from authsvc.plugins import AdminPlugin

bp = Blueprint("plugin_audit", __name__)

PAGE_SIZE = 50
CSV_LIMIT = 10_000


def _day(raw: str | None) -> datetime | None:
    try:
        return datetime.combine(datetime.strptime(raw or "", "%Y-%m-%d").date(), time(), UTC)
    except ValueError:
        return None


def _statement(args: dict[str, str]) -> sa.Select:
    """Events matching the filters: actor, action (type), target (text in the payload), dates."""
    statement = sa.select(Event).order_by(Event.id.desc())
    if args.get("actor"):
        statement = statement.where(Event.actor.contains(args["actor"].strip(), autoescape=True))
    if args.get("action") in EVENT_TYPES:
        statement = statement.where(Event.type == args["action"])
    if args.get("target"):
        payload = sa.cast(Event.data, sa.Text)
        statement = statement.where(payload.contains(args["target"].strip(), autoescape=True))
    if since := _day(args.get("since")):
        statement = statement.where(Event.created_at >= since)
    if until := _day(args.get("until")):
        statement = statement.where(Event.created_at < until + timedelta(days=1))
    return statement


@bp.get("/")
def index():
    args = request.args.to_dict()
    statement = _statement(args)
    if args.get("before"):
        statement = statement.where(Event.id < parse_id(args["before"], "event"))
    rows = list(db.session.execute(statement.limit(PAGE_SIZE + 1)).scalars())
    older = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        older = url_for("plugin_audit.index", **{**args, "before": str(rows[-1].id)})
    return render_template(
        "admin/builtin/audit.html",
        rows=rows,
        args=args,
        older=older,
        actions=EVENT_TYPES,
        export=url_for("plugin_audit.export", **{k: v for k, v in args.items() if k != "before"}),
        summary=summary,
    )


def summary(event: Event) -> str:
    """A short description of an event's target for the table."""
    data: dict[str, Any] = event.data or {}
    for key in ("user", "role", "api_key"):
        if isinstance(data.get(key), dict):
            item = data[key]
            return f"{key} {item.get('email') or item.get('name') or item.get('id')}"
    return ", ".join(f"{k}={v}" for k, v in data.items() if not isinstance(v, dict | list))[:120]


@bp.get("/export.csv")
def export():
    """The filtered log as CSV (at most CSV_LIMIT rows, newest first)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["time", "actor", "action", "target", "data"])
    rows = db.session.execute(_statement(request.args.to_dict()).limit(CSV_LIMIT)).scalars()
    for event in rows:
        writer.writerow(
            [
                event.created_at.isoformat(),
                _cell(event.actor or ""),
                event.type,
                _cell(summary(event)),
                _cell(json.dumps(event.data, sort_keys=True)),
            ]
        )
    headers = {"Content-Disposition": 'attachment; filename="audit-log.csv"'}
    return Response(out.getvalue(), mimetype="text/csv", headers=headers)


def _cell(text: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) in free text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


plugin = AdminPlugin(
    name="Audit log",
    slug="audit",
    nav_label="Audit log",
    icon="journal-text",
    blueprint=bp,
    builtin=True,
    enabled_by_default=True,
    description="Every change with its actor; filter and export as CSV.",
)
