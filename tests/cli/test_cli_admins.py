"""``authsvc admins``: list, set-password and remove with --json; create refuses an
existing email instead of silently ignoring the password given for it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import make_app, unique


def run(app, *args, input=None):  # noqa: A002 - click's parameter name
    return app.test_cli_runner().invoke(args=list(args), input=input, catch_exceptions=False)


def _create(app, email: str, *extra: str):
    result = run(app, "admins", "create", "--email", email, "--password", "first password", *extra)
    assert result.exit_code == 0, result.output
    return result


def _listed(app, email: str) -> dict:
    rows = json.loads(run(app, "admins", "list", "--json").output)
    return next(row for row in rows if row["email"] == email)


def test_create_refuses_an_existing_email_and_keeps_its_password(app):
    from authsvc.admins.service import authenticate

    email = f"{unique('ops')}@example.com"
    _create(app, email)
    again = run(app, "admins", "create", "--email", email, "--password", "another password")
    assert again.exit_code != 0
    assert "already exists" in again.output and "set-password" in again.output
    with app.app_context():
        assert authenticate(email, "first password") is not None
        assert authenticate(email, "another password") is None


def test_list_shows_role_tenants_totp_and_last_sign_in(app):
    slug = unique("cli")
    assert run(app, "tenants", "create", slug).exit_code == 0
    email = f"{unique('tadmin')}@example.com"
    _create(app, email, "--tenant", slug)
    row = _listed(app, email)
    assert row["platform"] is False and row["tenants"] == [slug] and row["role"] == "tenant"
    assert row["totp"] is False and row["last_login_at"] is None and row["active"] is True
    human = run(app, "admins", "list").output
    assert f"{email}\t{slug}\tno-totp\tlast sign-in never" in human


def test_set_password_changes_it_and_ends_panel_sessions(app):
    from authsvc.admins.service import authenticate, get_admin

    email = f"{unique('ops')}@example.com"
    _create(app, email)
    with app.app_context():
        epoch = get_admin(email).session_epoch
    short = run(app, "admins", "set-password", email, "--password", "short")
    assert short.exit_code != 0 and "at least 8 characters" in short.output
    done = run(app, "admins", "set-password", email, "--password", "a new password", "--json")
    assert done.exit_code == 0 and json.loads(done.output)["email"] == email
    with app.app_context():
        assert authenticate(email, "a new password") is not None
        assert get_admin(email).session_epoch == epoch + 1
    unknown = run(app, "admins", "set-password", "nobody@example.com", "--password", "whatever1")
    assert unknown.exit_code != 0 and "No administrator nobody@example.com" in unknown.output


@pytest.fixture
def lone_app(tmp_path):
    """An app on its own empty database, so "the last platform admin" is knowable."""
    from flask_migrate import upgrade

    app = make_app(f"sqlite:///{tmp_path / 'admins.db'}", tmp_path)
    with app.app_context():
        upgrade()
    return app


def test_remove_never_removes_the_last_platform_admin(lone_app):
    first, second = (f"{unique('root')}@example.com" for _ in range(2))
    _create(lone_app, first)
    _create(lone_app, second)
    removed = run(lone_app, "admins", "remove", first, "--yes", "--json")
    assert removed.exit_code == 0 and json.loads(removed.output)["email"] == first
    last = run(lone_app, "admins", "remove", second, "--yes")
    assert last.exit_code != 0 and "last platform administrator" in last.output
    assert [
        row["email"] for row in json.loads(run(lone_app, "admins", "list", "--json").output)
    ] == [second]
    unconfirmed = run(lone_app, "admins", "remove", second, input="n\n")
    assert unconfirmed.exit_code != 0
