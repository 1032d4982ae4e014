"""The authsvc command line, as an operator uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

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
