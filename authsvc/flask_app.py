"""The Flask application class: Flask, minus a per-hook check repeated on every request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask


class AuthsvcFlask(Flask):
    """Flask that decides once per function whether it needs running as a coroutine.

    Flask's ``ensure_sync`` inspects every hook and view on every request (about
    twenty per API call); the answer never changes for a given function. The
    memo is bounded: per-request callables (``after_this_request``) are not kept.
    """

    MAX_MEMO = 4096

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._sync_callables: dict[Callable[..., Any], Callable[..., Any]] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync_callables[func]
        except KeyError:
            sync = super().ensure_sync(func)
            if len(self._sync_callables) < self.MAX_MEMO:
                self._sync_callables[func] = sync
            return sync
        except TypeError:  # an unhashable callable: no memo
            return super().ensure_sync(func)
