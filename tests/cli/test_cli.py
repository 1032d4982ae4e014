"""The authsvc command line, as an operator uses it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import httpx

from tests.conftest import unique


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_tenant_key_and_admin_lifecycle_with_json_output(app):
    slug = unique("cli")
    created = run(app, "tenants", "create", slug, "--name", "CLI Co", "--json")
    assert created.exit_code == 0, created.output
    assert json.loads(created.output)["slug"] == slug

    listed = json.loads(run(app, "tenants", "list", "--json").output)
    assert slug in [row["slug"] for row in listed]

    key = run(
        app, "api-keys", "create", "--tenant", slug, "--name", "ci", "--scopes", "admin", "--json"
    )
    body = json.loads(key.output)
    assert body["key"].startswith(f"ak_{body['prefix']}_")
    response = app.test_client().get("/api/v1/users", headers={"X-API-Key": body["key"]})
    assert response.status_code == 200

    keys = json.loads(run(app, "api-keys", "list", "--tenant", slug, "--json").output)
    assert [k["prefix"] for k in keys] == [body["prefix"]] and "key" not in keys[0]
    assert run(app, "api-keys", "revoke", body["prefix"], "--tenant", slug).exit_code == 0
    response = app.test_client().get("/api/v1/users", headers={"X-API-Key": body["key"]})
    assert response.status_code == 401

    admin = run(
        app,
        "admins",
        "create",
        "--email",
        f"{slug}@example.com",
        "--password",
        "long enough",
        "--tenant",
        slug,
        "--json",
    )
    assert json.loads(admin.output)["platform"] is False

    assert run(app, "tenants", "deactivate", slug).exit_code == 0
    listed = json.loads(run(app, "tenants", "list", "--json").output)
    assert [row["is_active"] for row in listed if row["slug"] == slug] == [False]


def test_bad_input_exits_non_zero_with_a_one_line_reason(app):
    missing = run(
        app, "api-keys", "create", "--tenant", "no-such", "--name", "x", "--scopes", "admin"
    )
    assert missing.exit_code != 0
    assert missing.output.strip() == "Error: No tenant 'no-such'."

    slug = unique("cli")
    run(app, "tenants", "create", slug)
    scopes = run(app, "api-keys", "create", "--tenant", slug, "--name", "x", "--scopes", "root")
    assert scopes.exit_code != 0 and "Unknown scope: root" in scopes.output

    bad_slug = run(app, "tenants", "create", "Not A Slug")
    assert bad_slug.exit_code != 0 and "lower-case letters" in bad_slug.output
    duplicate = run(app, "tenants", "create", slug)
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output


def test_console_script_initialises_a_demo_and_is_idempotent(tmp_path):
    env = {**os.environ, "AUTHSVC_INSTANCE_PATH": str(tmp_path), "AUTHSVC_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "authsvc.cli", "init", "--demo", "--json"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    demo = json.loads(first.stdout)["demo"]
    assert demo["api_key"].startswith("ak_") and demo["admin_email"] == "admin@example.com"
    second = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert json.loads(second.stdout)["demo"] == demo
    assert oct((tmp_path / "demo-credentials.json").stat().st_mode)[-3:] == "600"


def test_serve_refuses_a_bad_setting_in_one_line_before_gunicorn_starts(tmp_path):
    """``authsvc serve`` checks the settings itself (it no longer builds the app: the
    gunicorn workers do), so a mistake is one line here, not a crash in every worker."""
    env = {
        **os.environ,
        "AUTHSVC_INSTANCE_PATH": str(tmp_path),
        "AUTHSVC_AUDIT_RETENTION_DAYS": "-1",
    }
    command = [sys.executable, "-m", "authsvc.cli", "serve", "--port", "1"]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: AUTHSVC_AUDIT_RETENTION_DAYS must be 0 (keep forever) or more"
    )
    assert "Serving on" not in result.stderr


def test_serve_dev_serves_with_the_reloader(tmp_path):
    """``--dev`` (README: ``bash scripts/dev.sh --dev``) once answered nothing: Flask's
    ``app.run`` ignores calls made inside a CLI command. It runs werkzeug's server now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "AUTHSVC_INSTANCE_PATH": str(tmp_path),
        "AUTHSVC_DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}",
        "AUTHSVC_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "authsvc.cli", "serve", "--dev", "--port", str(port)]
    log = (tmp_path / "dev.log").open("wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    try:
        deadline, answer = time.monotonic() + 90, None
        while answer is None and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "dev.log").read_text()
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
            except httpx.TransportError:
                time.sleep(0.3)
        assert answer is not None and answer.status_code == 200, (tmp_path / "dev.log").read_text()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()
