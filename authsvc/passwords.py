"""Password hashing (argon2id at OWASP's parameters) and imported legacy hashes.

New hashes are argon2id. Hashes imported from other systems — werkzeug
``pbkdf2:sha256:…`` and ``scrypt:…``, bcrypt ``$2a$``/``$2b$``/``$2y$`` and passlib
``$pbkdf2-sha256$`` — verify too, and :func:`needs_rehash` tells the login
flow to replace them (and argon2 hashes with outdated parameters) with a
current argon2id hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash

LEGACY_PREFIXES = ("pbkdf2:", "scrypt:", "$2a$", "$2b$", "$2y$", "$pbkdf2-sha256$")


def _hasher() -> PasswordHasher:
    state = current_app.extensions.setdefault("authsvc.passwords", {})
    config = current_app.config
    params = tuple(config[f"ARGON2_{name}"] for name in ("TIME_COST", "MEMORY_COST", "PARALLELISM"))
    if state.get("params") != params:
        state["params"] = params
        state["hasher"] = PasswordHasher(
            time_cost=params[0], memory_cost=params[1], parallelism=params[2]
        )
        # A fixed hash to verify against when the user does not exist, so an
        # unknown account costs the same time as a wrong password.
        state["dummy"] = state["hasher"].hash("authsvc-timing-equaliser")
    return state["hasher"]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def is_supported_hash(password_hash: str) -> bool:
    return password_hash.startswith("$argon2") or password_hash.startswith(LEGACY_PREFIXES)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password``; a missing or malformed hash never verifies (but costs the same)."""
    try:
        if not password_hash:
            _hasher().verify(current_app.extensions["authsvc.passwords"]["dummy"], password)
            return False
        if password_hash.startswith("$argon2"):
            return _hasher().verify(password_hash, password)
        return _verify_legacy(password_hash, password)
    except (VerificationError, InvalidHashError, ValueError):
        return False


def burn_time(password: str) -> None:
    """Spend one verification's time without a user (unknown accounts)."""
    verify_password(None, password)


def needs_rehash(password_hash: str) -> bool:
    if not password_hash.startswith("$argon2id$"):
        return True
    return _hasher().check_needs_rehash(password_hash)


def _verify_legacy(password_hash: str, password: str) -> bool:
    if password_hash.startswith(("pbkdf2:", "scrypt:")):
        return check_password_hash(password_hash, password)
    if password_hash.startswith(("$2a$", "$2b$", "$2y$")):
        return bcrypt.checkpw(password.encode(), password_hash.replace("$2y$", "$2b$", 1).encode())
    if password_hash.startswith("$pbkdf2-sha256$"):
        return _verify_passlib_pbkdf2(password_hash, password)
    return False


def _ab64_decode(text: str) -> bytes:
    """passlib's 'adapted base64': '.' for '+', no padding."""
    text = text.replace(".", "+")
    return base64.b64decode(text + "=" * (-len(text) % 4))


def _verify_passlib_pbkdf2(password_hash: str, password: str) -> bool:
    _empty, _scheme, rounds, salt, digest = password_hash.split("$")
    expected = _ab64_decode(digest)
    actual = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), _ab64_decode(salt), int(rounds), len(expected)
    )
    return hmac.compare_digest(actual, expected)
