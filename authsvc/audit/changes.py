"""Changed fields for the audit log: each field's value before and after a change.

An audit row says what changed as ``{"fields": {name: {"before": ..., "after": ...}}}``.
Nested settings are compared value by value under dotted names
(``settings.auth.lockout_threshold``). Secrets never appear: a changed secret is
recorded as a marker (``{"secret": "rotated"}``), and long text (custom CSS) as a
digest of its content.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

#: What a secret field shows instead of its value.
SECRET_MARKERS = frozenset({"created", "rotated"})


def snapshot(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """The current values of ``names`` on ``obj``, copied (later changes do not leak in)."""
    return {name: copy.deepcopy(getattr(obj, name)) for name in names}


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested mappings as one level under dotted names (``settings.auth.x``)."""
    flat: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``{name: {"before": old, "after": new}}`` for every value that differs (absent: None)."""
    old, new = flatten(before), flatten(after)
    return {
        name: {"before": old.get(name), "after": new.get(name)}
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    }


def digest(text: str | bytes | None) -> str | None:
    """A short content digest standing in for long text in the log."""
    if text is None:
        return None
    data = text.encode() if isinstance(text, str) else text
    return "sha256:" + hashlib.sha256(data).hexdigest()[:16]
