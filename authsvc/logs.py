"""Log output: one JSON object per line (``LOG_FORMAT=json``) or a readable text line.

Every record logged while a request is served carries that request's id, its
tenant and its route template (a filter on our handler adds them), so a log
search by ``request_id`` finds everything one request did. Records hold what
the code logged and nothing more: the access log redacts secret query values
before it logs (see :mod:`authsvc.observability`), and no field here reads
headers, bodies or cookies. A W3C ``traceparent`` header's trace and span ids
are kept when a tracing proxy sends one.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

from flask import g, has_request_context, request

from authsvc.tenancy import current_tenant_id

HANDLER_NAME = "authsvc"
FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$")
#: Attributes the access log passes with ``extra=``; copied into the JSON object.
ACCESS_FIELDS = ("method", "path", "route", "status", "duration_ms")
CONTEXT_FIELDS = ("request_id", "tenant", "trace_id", "span_id")


def _trace_ids() -> tuple[str | None, str | None]:
    found = _TRACEPARENT.match(request.headers.get("traceparent", ""))
    return (found.group(1), found.group(2)) if found else (None, None)


class RequestContext(logging.Filter):
    """Adds the request id, tenant, route and trace ids of the request being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            tenant = current_tenant_id()
            record.request_id = g.get("request_id")
            record.tenant = str(tenant) if tenant else None
            if not hasattr(record, "route"):
                record.route = request.url_rule.rule if request.url_rule else None
            record.trace_id, record.span_id = _trace_ids()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: timestamp, level, logger, message, request context."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in (*CONTEXT_FIELDS, *ACCESS_FIELDS):
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def formatter(kind: str) -> logging.Formatter:
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)


def configure_logging(level: str, kind: str) -> None:
    """Log to stderr in ``kind`` format unless the host (a test runner) already set up logging."""
    root = logging.getLogger()
    ours = next((h for h in root.handlers if h.name == HANDLER_NAME), None)
    if ours is None and not root.handlers:
        ours = logging.StreamHandler()
        ours.name = HANDLER_NAME
        ours.addFilter(RequestContext())
        root.addHandler(ours)
    if ours is not None:
        ours.setFormatter(formatter(kind))
    root.setLevel(level.upper())
