"""Password hashing with argon2id at OWASP's parameters (configurable)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    state = current_app.extensions.setdefault("authsvc.passwords", {})
    config = current_app.config
    params = (
        config["ARGON2_TIME_COST"],
        config["ARGON2_MEMORY_COST"],
        config["ARGON2_PARALLELISM"],
    )
    if state.get("params") != params:
        state["params"] = params
        state["hasher"] = PasswordHasher(
            time_cost=params[0], memory_cost=params[1], parallelism=params[2]
        )
    return state["hasher"]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; a missing or malformed hash never verifies."""
    if not password_hash:
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
