"""Extensions' app-wide request hooks that have nothing to do on the JSON API are skipped there.

Rationale: Flask-Limiter and Flask-Login each register a hook that runs on every
request of the app. On the API both find nothing to do, but only after work
that costs a noticeable share of a token validation:

* Flask-Limiter's before_request pass resolves its limits for the endpoint, yet
  every API limit, per key and per flow (login, sign-up...), is counted by
  ``ratelimit.py``; Flask-Limiter serves the panel and the hosted pages.
* Flask-Login's after_request hook refreshes the panel's remember-me cookie; it
  reads the session, which makes Flask add ``Vary: Cookie`` to every answer.

Each hook is wrapped in place (keeping its order) so that it runs as before
everywhere except on the API blueprint. A test fails if an upgrade of either
extension registers its hook differently.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, request

from authsvc.extensions import limiter, login_manager


def _except_on_the_api(hook: Callable[..., Any], skipped: Callable[..., Any]):
    @wraps(hook)
    def unless_api(*args: Any) -> Any:
        return skipped(*args) if request.blueprint == "api" else hook(*args)

    return unless_api


def _wrap(hooks: list[Callable[..., Any]], target: Callable[..., Any], skipped) -> bool:
    for index, hook in enumerate(hooks):
        if hook == target:
            hooks[index] = _except_on_the_api(hook, skipped)
            return True
    return False


def init_app(app: Flask) -> None:
    """Call after Flask-Limiter and Flask-Login are initialised."""
    _wrap(
        app.before_request_funcs.setdefault(None, []),
        limiter._check_request_limit,  # noqa: SLF001 - the hook Flask-Limiter registered
        lambda: None,
    )
    _wrap(
        app.after_request_funcs.setdefault(None, []),
        login_manager._update_remember_cookie,  # noqa: SLF001 - the hook Flask-Login registered
        lambda response: response,
    )
