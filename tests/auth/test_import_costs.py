"""Imported password hashes cannot choose a cost that stalls sign-ins (Trust item 5)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from authsvc.extensions import db
from authsvc.tenancy import tenant_context

SECRET = "imported passphrase 42"
SALT = "c2FsdHNhbHRzYWx0c2FsdA"
DIGEST = "Q" * 43


def argon2_hash(memory_kib: int = 65536, time_cost: int = 3, parallelism: int = 4) -> str:
    params = f"m={memory_kib},t={time_cost},p={parallelism}"
    return f"$argon2id$v=19${params}${SALT}${DIGEST}"


# (scheme, hash above the bounds, words the row's error must contain, hash at the bound).
# The hashes are written by hand: computing one above the bounds is exactly the cost refused.
OVER_THE_BOUNDS = [
    (
        "werkzeug pbkdf2",
        f"pbkdf2:sha256:20000000$saltsaltsaltsalt${'0' * 64}",
        "PBKDF2 iterations 20,000,000 is above the limit of 1,000,000",
        f"pbkdf2:sha256:1000000$saltsaltsaltsalt${'0' * 64}",
    ),
    (
        "passlib pbkdf2-sha256",
        f"$pbkdf2-sha256$20000000${SALT}${DIGEST}",
        "PBKDF2 iterations 20,000,000 is above the limit of 1,000,000",
        f"$pbkdf2-sha256$1000000${SALT}${DIGEST}",
    ),
    (
        "bcrypt",
        "$2b$31$" + "a" * 53,
        "bcrypt cost 31 is above the limit of 14",
        "$2b$14$" + "a" * 53,
    ),
    (
        "argon2 memory",
        argon2_hash(memory_kib=4 * 1024 * 1024),
        "argon2 memory (KiB) 4,194,304 is above the limit of 262,144",
        argon2_hash(memory_kib=256 * 1024),
    ),
    (
        "argon2 time",
        argon2_hash(time_cost=11),
        "argon2 time cost 11 is above the limit of 10",
        argon2_hash(time_cost=10),
    ),
    (
        "argon2 parallelism",
        argon2_hash(parallelism=17),
        "argon2 parallelism 17 is above the limit of 16",
        argon2_hash(parallelism=16),
    ),
    (
        "werkzeug scrypt",
        f"scrypt:1048576:8:1$saltsaltsaltsalt${'0' * 128}",
        "scrypt N·r·p 8,388,608 is above the limit of 1,048,576",
        f"scrypt:131072:8:1$saltsaltsaltsalt${'0' * 128}",
    ),
]


@pytest.mark.parametrize(
    ("scheme", "costly", "message", "bounded"),
    OVER_THE_BOUNDS,
    ids=[row[0] for row in OVER_THE_BOUNDS],
)
def test_is_an_imported_hash_above_its_schemes_cost_bound_refused_with_a_row_error(
    tenant_app, scheme, costly, message, bounded
):
    rows = [
        {"email": "costly@example.com", "password_hash": costly},
        {"email": "bounded@example.com", "password_hash": bounded},
    ]
    body = tenant_app.client.post("/users/import", json={"users": rows}).json
    costly_row, bounded_row = body["results"]
    assert costly_row["status"] == "error", scheme
    assert costly_row["errors"] == {"password_hash": [message + "."]}
    assert bounded_row["status"] == "created", bounded_row
    emails = {user["email"] for user in tenant_app.client.get("/users").json["items"]}
    assert emails == {"bounded@example.com"}


def test_is_a_hash_with_unreadable_cost_parameters_refused(tenant_app):
    rows = [
        {"email": "a@example.com", "password_hash": f"pbkdf2:sha256:lots$salt${'0' * 64}"},
        {"email": "b@example.com", "password_hash": "$2b$xx$" + "a" * 53},
        {"email": "c@example.com", "password_hash": f"scrypt:1000:8:1$salt${'0' * 128}"},
        {"email": "d@example.com", "password_hash": "$argon2id$v=19$m=lots$salt$hash"},
    ]
    body = tenant_app.client.post("/users/import", json={"users": rows}).json
    for result in body["results"]:
        assert result["errors"] == {"password_hash": ["The hash's cost parameters cannot be read."]}


def test_does_login_refuse_a_stored_hash_above_the_bounds_as_a_wrong_password(
    app, tenant_app, caplog
):
    """A hash that reached the database some other way is never verified; the attempt is
    logged (without the hash) and answered like a wrong password."""
    imported = tenant_app.client.post(
        "/users/import", json={"users": [{"email": "stored@example.com", "is_verified": True}]}
    )
    assert imported.json["created"] == 1
    # Cheap to compute (8 KiB), yet above the time-cost bound of 10.
    costly = PasswordHasher(time_cost=11, memory_cost=8, parallelism=1).hash(SECRET)
    with app.app_context(), tenant_context(tenant_app.tenant_id):
        db.session.execute(
            sa.text("UPDATE users SET password_hash = :h WHERE email_normalized = :e"),
            {"h": costly, "e": "stored@example.com"},
        )
        db.session.commit()
    caplog.set_level(logging.WARNING, logger="authsvc.passwords")
    response = tenant_app.login("stored@example.com", SECRET)
    assert response.status_code == 401
    assert "argon2 time cost 11 is above the limit of 10" in caplog.text
    assert costly not in caplog.text


def test_does_the_cli_import_refuse_a_costly_hash_per_line(app, tenant_app, database_url, tmp_path):
    path = tmp_path / "users.jsonl"
    lines = [
        {"email": "cli-ok@example.com"},
        {"email": "cli-costly@example.com", "password_hash": "$2b$31$" + "a" * 53},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    env = {
        **os.environ,
        "AUTHSVC_DATABASE_URL": database_url,
        "AUTHSVC_INSTANCE_PATH": str(tmp_path),
        "AUTHSVC_SECRET_KEY": app.config["SECRET_KEY"],
        "AUTHSVC_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "authsvc.cli", "users", "import", str(path)]
    done = subprocess.run(
        [*command, "--tenant", tenant_app.slug], env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Imported 1 users; 1 failed." in done.stdout
    assert "line 2: password_hash: bcrypt cost 31 is above the limit of 14." in done.stdout
