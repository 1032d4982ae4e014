"""The baselines: a bare Flask app, served exactly like authsvc.

``GET /`` returns a small JSON object: the cheapest useful thing a Flask app can
return. ``GET /api/v1/users/<id>`` is the floor of a single-user read: the same
row and roles, with the same tenant filter, read with one hand-written SQL
statement over one psycopg2 connection per process (no pool, no ORM, no key,
no limits, no logging), when ``BENCH_DATABASE_DSN`` and ``BENCH_TENANT_ID`` are set.
``POST /login`` is the floor of a login: it reads the JSON body, verifies its
``password`` against ``BENCH_ARGON2_HASH`` with argon2-cffi and returns a token-
sized JSON object (no database, no token signing): the hash and Flask, nothing else.
"""

from __future__ import annotations

import os

from flask import Flask, abort, request

app = Flask(__name__)

_USER_SQL = """
SELECT u.id, u.email, u.username, u.display_name, u.avatar_url, u.is_verified, u.is_active,
       u.metadata, u.external_user_id, u.last_login_at, u.created_at, u.updated_at, r.name
FROM users u
LEFT JOIN user_roles ur ON ur.tenant_id = u.tenant_id AND ur.user_id = u.id
LEFT JOIN roles r ON r.tenant_id = ur.tenant_id AND r.id = ur.role_id
WHERE u.tenant_id = %(tenant)s AND u.id = %(id)s
"""
_FIELDS = [
    "id",
    "email",
    "username",
    "display_name",
    "avatar_url",
    "is_verified",
    "is_active",
    "metadata",
    "external_user_id",
    "last_login_at",
    "created_at",
    "updated_at",
]
_connection = None
_hasher = None


@app.get("/")
def index():
    """A small JSON document, the cheapest useful thing a Flask app can return."""
    return {"status": "ok", "service": "bare"}


@app.get("/api/v1/users/<user_id>")
def user(user_id: str):
    """One user and its role names, as one SQL statement would give them."""
    global _connection
    if _connection is None:
        import psycopg2

        _connection = psycopg2.connect(os.environ["BENCH_DATABASE_DSN"])
        _connection.autocommit = True
    with _connection.cursor() as cursor:
        cursor.execute(_USER_SQL, {"tenant": os.environ["BENCH_TENANT_ID"], "id": user_id})
        rows = cursor.fetchall()
    if not rows:
        abort(404)
    first = dict(zip(_FIELDS, rows[0][:-1], strict=True))
    for name in ("id", "last_login_at", "created_at", "updated_at"):
        first[name] = first[name] and str(first[name])
    return {**first, "roles": sorted(row[-1] for row in rows if row[-1])}


@app.post("/login")
def login():
    """Verify the posted password with argon2id, as a login must, and nothing more."""
    global _hasher
    if _hasher is None:
        from argon2 import PasswordHasher

        _hasher = PasswordHasher()  # verify reads the parameters from the stored hash
    password = (request.get_json(silent=True) or {}).get("password") or ""
    try:
        _hasher.verify(os.environ["BENCH_ARGON2_HASH"], password)
    except Exception:  # argon2's VerifyMismatchError and friends: a wrong password
        abort(401)
    return {"access_token": "x" * 600, "refresh_token": "y" * 48, "token_type": "Bearer"}
