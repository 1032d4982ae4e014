"""Checking a user's metadata typed as JSON text (the panel's metadata editor)."""

from __future__ import annotations

import json
from typing import Any

from authsvc.errors import ValidationFailed

#: Metadata rides along in tokens' user payloads and every user event: keep it small.
MAX_METADATA_BYTES = 16 * 1024


def parse_metadata(text: str) -> dict[str, Any]:
    """The JSON object in ``text``; ValidationFailed naming ``metadata`` otherwise."""
    size = len(text.encode())
    if size > MAX_METADATA_BYTES:
        raise _invalid(f"At most {MAX_METADATA_BYTES // 1024} KiB of JSON ({size} bytes given).")
    try:
        value = json.loads(text or "{}")
    except (ValueError, RecursionError) as exc:
        where = f" (line {exc.lineno})" if isinstance(exc, json.JSONDecodeError) else ""
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise _invalid(f"Not valid JSON: {reason}{where}.") from exc
    if not isinstance(value, dict):
        raise _invalid('Must be a JSON object, such as {"plan": "pro"}.')
    return value


def format_metadata(value: dict[str, Any]) -> str:
    """Metadata as the editor shows it: indented, keys in their stored order."""
    return json.dumps(value or {}, indent=2, ensure_ascii=False)


def _invalid(message: str) -> ValidationFailed:
    return ValidationFailed(errors={"metadata": [message]})
