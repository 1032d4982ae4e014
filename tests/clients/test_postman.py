"""The generated Postman collection, run by Postman's own runner (newman) against authsvc."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from authsvc_client import AuthsvcClient

NEWMAN = Path(__file__).resolve().parents[1] / "postman" / "node_modules" / ".bin" / "newman"


def test_every_request_of_the_collection_runs_and_none_breaks_the_server(
    live, live_tenant, tmp_path
):
    """Example bodies are valid JSON the API reads (never 400/415 for the body, never 5xx)."""
    if not NEWMAN.exists():
        pytest.fail("tests/postman/node_modules is missing: run `npm ci` in tests/postman")
    base, app = live
    collection = tmp_path / "authsvc.postman.json"
    result = app.test_cli_runner().invoke(
        args=["openapi", "--postman", "--base-url", base, "-o", str(collection)]
    )
    assert result.exit_code == 0, result.output
    with AuthsvcClient(base, live_tenant.admin_key) as admin:
        admin.call(
            "post_user_list", json={"email": "pm@example.com", "password": "postman pass 123"}
        )
        token = admin.user_session().login("postman pass 123", email="pm@example.com").access_token
    report = tmp_path / "report.json"
    run = subprocess.run(
        [
            shutil.which("node") or "node",
            str(NEWMAN),
            "run",
            str(collection),
            "--env-var",
            f"apiKey={live_tenant.admin_key}",
            "--env-var",
            f"accessToken={token}",
            "--reporters",
            "json",
            "--reporter-json-export",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    executions = json.loads(report.read_text())["run"]["executions"]
    answered = {
        (e["item"]["name"], e["request"]["method"]): e["response"]["code"]
        for e in executions
        if "response" in e
    }
    assert len(answered) == len(executions) > 40, run.stderr[-2000:]
    assert not {k: code for k, code in answered.items() if code >= 500}
    with_body = {
        (e["item"]["name"], e["request"]["method"]): e["response"]["code"]
        for e in executions
        if e["request"].get("body")
    }
    assert len(with_body) > 15
    assert not {k: code for k, code in with_body.items() if code in (400, 415)}
    assert answered[("Read the tenant, its domains and settings", "GET")] == 200
    assert (
        answered[("Create a user (an admin action: no verification email is sent)", "POST")] == 201
    )
