"""Bulk import of users with password hashes from other systems.

Each row is validated and written in its own savepoint: a bad row is reported
and leaves nothing behind, good rows are kept. Imported hashes (argon2,
werkzeug pbkdf2, bcrypt, passlib pbkdf2-sha256) work at login and are
upgraded to argon2id then; a hash whose parameters ask for more work than
:data:`authsvc.passwords.MAX_COST` allows is refused with its row.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft4Validator
from sqlalchemy.exc import IntegrityError

from authsvc.errors import AuthsvcError
from authsvc.extensions import db
from authsvc.passwords import cost_problem, is_supported_hash
from authsvc.users.schemas import EMAIL_PATTERN, USERNAME_PATTERN
from authsvc.users.service import stage_new_user

MAX_ROWS = 1000

ROW_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["email"],
    "properties": {
        "email": {"type": "string", "maxLength": 254, "pattern": EMAIL_PATTERN},
        "username": {"type": ["string", "null"], "maxLength": 64, "pattern": USERNAME_PATTERN},
        "password_hash": {"type": ["string", "null"], "maxLength": 512},
        "display_name": {"type": ["string", "null"], "maxLength": 200},
        "avatar_url": {"type": ["string", "null"], "maxLength": 2048},
        "external_user_id": {"type": ["string", "null"], "maxLength": 255},
        "is_verified": {"type": "boolean"},
        "is_active": {"type": "boolean"},
        "metadata": {"type": "object"},
        "roles": {"type": "array", "items": {"type": "string", "maxLength": 64}},
    },
}
_validator = Draft4Validator(ROW_SCHEMA)


def row_errors(row: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for error in _validator.iter_errors(row):
        field = ".".join(str(p) for p in error.absolute_path) or "row"
        errors.setdefault(field, []).append(error.message)
    password_hash = None if errors else row.get("password_hash")
    if password_hash and not is_supported_hash(password_hash):
        errors["password_hash"] = [
            "Unsupported hash format (argon2, werkzeug pbkdf2/scrypt, bcrypt, passlib pbkdf2)."
        ]
    elif password_hash and (problem := cost_problem(password_hash)):
        errors["password_hash"] = [problem]
    return errors


def import_row(row: Any, actor: str | None) -> dict[str, Any]:
    """Import one row in a savepoint; returns its result (created with id, or errors)."""
    errors = row_errors(row) if isinstance(row, dict) else {"row": ["Not an object."]}
    if errors:
        return {"status": "error", "errors": errors}
    savepoint = db.session.begin_nested()
    try:
        user = stage_new_user(row, actor=actor, via="import")
        savepoint.commit()
    except AuthsvcError as exc:
        savepoint.rollback()
        return {"status": "error", "errors": exc.extra.get("errors") or {"row": [exc.detail]}}
    except IntegrityError:
        savepoint.rollback()
        return {"status": "error", "errors": {"row": ["Conflicts with an existing user."]}}
    return {"status": "created", "id": str(user.id)}


def import_users(rows: list[Any], actor: str | None = None) -> list[dict[str, Any]]:
    """Import up to 1,000 rows; one result per row, in order, committed together."""
    results = []
    for index, row in enumerate(rows):
        results.append({"index": index, **import_row(row, actor)})
    db.session.commit()
    return results
