"""Extension hooks skipped on the API: still registered, still working elsewhere."""

from __future__ import annotations

from functools import partial

from flask_limiter import Limiter

from authsvc.api.hooks import CSRF_HOOK, _is_csrf_check
from authsvc.extensions import limiter, login_manager


def _wrapped(hooks):
    return [getattr(hook, "__wrapped__", None) for hook in hooks]


def test_the_extensions_hooks_are_wrapped_not_removed(app):
    """Fails if an upgrade of Flask-Limiter, Flask-Login or Flask-WTF registers its hooks
    differently: each hook must be found, wrapped, and no longer registered bare."""
    before = app.before_request_funcs[None]
    after = app.after_request_funcs[None]
    teardown = app.teardown_request_funcs[None]
    check = limiter._check_request_limit  # noqa: SLF001
    remember = login_manager._update_remember_cookie  # noqa: SLF001
    release = limiter._Limiter__release_context  # noqa: SLF001
    assert check in _wrapped(before) and check not in before
    assert remember in _wrapped(after) and remember not in after
    assert release in _wrapped(teardown) and release not in teardown
    csrf = [h for h in _wrapped(before) if getattr(h, "__qualname__", "") == CSRF_HOOK]
    assert csrf and not [h for h in before if _is_csrf_check(h)]
    inject = Limiter._Limiter__inject_headers  # noqa: SLF001
    headers = [h for h in _wrapped(after) if isinstance(h, partial) and h.func is inject]
    assert headers and not [h for h in after if isinstance(h, partial) and h.func is inject]


def test_api_answers_do_not_vary_on_cookies(tenant, api_client):
    response = api_client(tenant, ["users:read"]).get("/users")
    assert response.status_code == 200
    assert "Cookie" not in response.headers.get("Vary", "")


def test_panel_pages_still_vary_on_cookies(client):
    response = client.get("/admin/login")
    assert "Cookie" in response.headers.get("Vary", "")
