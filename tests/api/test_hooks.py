"""Extension hooks skipped on the API: still registered, still working elsewhere."""

from __future__ import annotations

from authsvc.extensions import limiter, login_manager


def test_the_extensions_hooks_are_wrapped_not_removed(app):
    """Fails if an upgrade of Flask-Limiter or Flask-Login registers its hook differently."""
    before = app.before_request_funcs[None]
    after = app.after_request_funcs[None]
    check = limiter._check_request_limit  # noqa: SLF001
    remember = login_manager._update_remember_cookie  # noqa: SLF001
    assert check not in before and remember not in after
    assert [h for h in before if getattr(h, "__wrapped__", None) == check]
    assert [h for h in after if getattr(h, "__wrapped__", None) == remember]


def test_api_answers_do_not_vary_on_cookies(tenant, api_client):
    response = api_client(tenant, ["users:read"]).get("/users")
    assert response.status_code == 200
    assert "Cookie" not in response.headers.get("Vary", "")


def test_panel_pages_still_vary_on_cookies(client):
    response = client.get("/admin/login")
    assert "Cookie" in response.headers.get("Vary", "")
