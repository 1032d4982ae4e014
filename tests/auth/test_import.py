"""Moving users in with their existing password hashes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import bcrypt
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from authsvc.extensions import db
from authsvc.tenancy import tenant_context

SECRET = "imported passphrase 42"


def _passlib_pbkdf2(password: str) -> str:
    """A passlib $pbkdf2-sha256$ hash, built by hand (passlib is not a dependency)."""
    import base64
    import hashlib

    salt = b"saltsaltsalt"
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 29000, 32)

    def ab64(raw: bytes) -> str:
        return base64.b64encode(raw).decode().rstrip("=").replace("+", ".")

    return f"$pbkdf2-sha256$29000${ab64(salt)}${ab64(digest)}"


def _stored_hash(app, tenant_id, email: str) -> str:
    with app.app_context(), tenant_context(tenant_id):
        return db.session.execute(
            sa.text("SELECT password_hash FROM users WHERE email_normalized = :e"), {"e": email}
        ).scalar_one()


def test_imported_hashes_log_in_and_are_rehashed_to_argon2id(app, tenant_app):
    rows = [
        {
            "email": "wz@example.com",
            "password_hash": generate_password_hash(SECRET, "pbkdf2:sha256"),
        },
        {
            "email": "bc@example.com",
            "password_hash": bcrypt.hashpw(SECRET.encode(), bcrypt.gensalt(4)).decode(),
        },
        {"email": "pl@example.com", "password_hash": _passlib_pbkdf2(SECRET), "is_verified": True},
    ]
    result = tenant_app.client.post("/users/import", json={"users": rows})
    assert result.status_code == 200 and result.json["created"] == 3
    for row in rows:
        assert tenant_app.login(row["email"], "wrong").status_code == 401
        assert tenant_app.login(row["email"], SECRET).status_code == 200
        assert _stored_hash(app, tenant_app.tenant_id, row["email"]).startswith("$argon2id$")


def test_each_row_is_all_or_nothing_with_a_result_per_row(tenant_app):
    rows = [
        {"email": "good@example.com", "roles": ["member"]},
        {"email": "bad", "password_hash": "x"},
        {"email": "role@example.com", "roles": ["nonexistent"]},
        {"email": "good@example.com"},
        {"email": "hash@example.com", "password_hash": "md5$abc"},
        "not an object",
    ]
    body = tenant_app.client.post("/users/import", json={"users": rows}).json
    statuses = [row["status"] for row in body["results"]]
    assert statuses == ["created", "error", "error", "error", "error", "error"]
    assert body["results"][2]["errors"] == {"roles": ["Unknown role: nonexistent."]}
    assert "password_hash" in body["results"][4]["errors"]
    emails = [u["email"] for u in tenant_app.client.get("/users").json["items"]]
    assert emails == ["good@example.com"]


def test_more_than_1000_rows_are_refused(tenant_app):
    rows = [{"email": f"u{i}@example.com"} for i in range(1001)]
    response = tenant_app.client.post("/users/import", json={"users": rows})
    assert response.status_code == 422 and "users" in response.json["errors"]


def test_cli_imports_a_jsonl_file_with_progress(app, tenant_app, database_url, tmp_path):
    path = tmp_path / "users.jsonl"
    lines = [
        json.dumps({"email": "cli1@example.com", "password_hash": generate_password_hash(SECRET)}),
        json.dumps({"email": "cli2@example.com"}),
        "{broken",
    ]
    path.write_text("\n".join(lines) + "\n")
    env = {
        **os.environ,
        "AUTHSVC_DATABASE_URL": database_url,
        "AUTHSVC_INSTANCE_PATH": str(tmp_path),
        "AUTHSVC_SECRET_KEY": app.config["SECRET_KEY"],
        "AUTHSVC_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "authsvc.cli",
        "users",
        "import",
        str(path),
        "--tenant",
        tenant_app.slug,
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    assert done.returncode == 1  # one line failed
    assert "Imported 2 users; 1 failed." in done.stdout
    assert "line 3: line: Not JSON" in done.stdout
    assert "Importing users" in done.stderr
    assert tenant_app.login("cli1@example.com", SECRET).status_code == 200
