"""Extensions' app-wide request hooks that have nothing to do on the JSON API are skipped there.

Rationale: Flask-Limiter, Flask-Login and Flask-WTF each register hooks that run
on every request of the app. On the API they all find nothing to do, but only
after work that costs a noticeable share of a token validation:

* Flask-Limiter's before_request pass resolves its limits for the endpoint, its
  after_request hook looks for headers to add and its teardown resets its
  context, yet every API limit, per key and per flow (login, sign-up...), is
  counted by ``ratelimit.py``; Flask-Limiter serves the panel and the hosted pages.
* Flask-Login's after_request hook refreshes the panel's remember-me cookie; it
  reads the session, which makes Flask add ``Vary: Cookie`` to every answer.
* Flask-WTF's CSRF check exempts the API blueprint (clients authenticate with a
  header no other site can make a browser send) after looking the view up.

Each hook is wrapped in place (keeping its order) so that it runs as before
everywhere except on the API blueprint. A test fails if an upgrade of one of
these extensions registers its hooks differently.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
from typing import Any

from flask import Flask, request
from flask_limiter import Limiter

from authsvc.extensions import limiter, login_manager

Hook = Callable[..., Any]
CSRF_HOOK = "CSRFProtect.init_app.<locals>.csrf_protect"


def _except_on_the_api(hook: Hook, skipped: Hook) -> Hook:
    @wraps(hook)
    def unless_api(*args: Any) -> Any:
        return skipped(*args) if request.blueprint == "api" else hook(*args)

    return unless_api


def _wrap(hooks: list[Hook], is_target: Callable[[Hook], bool], skipped: Hook) -> bool:
    for index, hook in enumerate(hooks):
        if is_target(hook):
            hooks[index] = _except_on_the_api(hook, skipped)
            return True
    return False


def _is_limiter_headers(hook: Hook) -> bool:
    # Flask-Limiter registers partial(Limiter.__inject_headers, limiter).
    inject = getattr(Limiter, "_Limiter__inject_headers", None)
    return isinstance(hook, partial) and hook.func is inject and hook.args == (limiter,)


def _is_limiter_teardown(hook: Hook) -> bool:
    return hook == getattr(limiter, "_Limiter__release_context", None)


def _is_csrf_check(hook: Hook) -> bool:
    # functools.wraps copies the name onto our wrapper: only the bare hook counts.
    return getattr(hook, "__qualname__", "") == CSRF_HOOK and not hasattr(hook, "__wrapped__")


def init_app(app: Flask) -> None:
    """Call after Flask-Limiter, Flask-WTF and Flask-Login are initialised."""
    before = app.before_request_funcs.setdefault(None, [])
    after = app.after_request_funcs.setdefault(None, [])
    teardown = app.teardown_request_funcs.setdefault(None, [])
    unchanged = lambda response: response  # noqa: E731 - the after_request no-op
    nothing = lambda *_: None  # noqa: E731 - the before_request and teardown no-op
    check = limiter._check_request_limit  # noqa: SLF001 - the hook Flask-Limiter registered
    remember = login_manager._update_remember_cookie  # noqa: SLF001 - Flask-Login's hook
    _wrap(before, lambda hook: hook == check, nothing)
    _wrap(before, _is_csrf_check, nothing)
    _wrap(after, _is_limiter_headers, unchanged)
    _wrap(after, lambda hook: hook == remember, unchanged)
    _wrap(teardown, _is_limiter_teardown, nothing)
