"""Password hashing (argon2id at OWASP's parameters) and imported legacy hashes.

New hashes are argon2id. Hashes imported from other systems — werkzeug
``pbkdf2:sha256:…`` and ``scrypt:…``, bcrypt ``$2a$``/``$2b$``/``$2y$`` and passlib
``$pbkdf2-sha256$`` — verify too, and :func:`needs_rehash` tells the login
flow to replace them (and argon2 hashes with outdated parameters) with a
current argon2id hash.

A hash carries its own cost, so an imported one could make each login of its
user take seconds and stall a worker for every tenant. :func:`cost_problem`
bounds every accepted scheme (:data:`MAX_COST`); the importer refuses a hash
above the bounds, and :func:`verify_password` never runs one that got stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

import bcrypt
from argon2 import PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash

log = logging.getLogger(__name__)

LEGACY_PREFIXES = ("pbkdf2:", "scrypt:", "$2a$", "$2b$", "$2y$", "$pbkdf2-sha256$")

#: The most work a stored hash may ask of one verification (a few hundred
#: milliseconds at most on a server core).
MAX_COST = {
    "pbkdf2_iterations": 1_000_000,
    "bcrypt_cost": 14,
    "argon2_memory_kib": 256 * 1024,
    "argon2_time_cost": 10,
    "argon2_parallelism": 16,
    # N·r·p: four times werkzeug's default (32768·8·1), at most 128 MiB of memory.
    "scrypt_work": 1 << 20,
}


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
    """Check ``password``; a missing, malformed or too costly hash never verifies (but
    costs what a normal one does)."""
    try:
        problem = cost_problem(password_hash) if password_hash else None
        if problem:
            # Defence in depth: the importer refuses such hashes, so one here came
            # from elsewhere. Refused like a wrong password, at a normal hash's cost.
            log.warning("refused to verify a stored password hash: %s", problem)
            password_hash = None
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


def cost_problem(password_hash: str) -> str | None:
    """Why verifying ``password_hash`` would cost too much (naming the limit), or None.

    Parameters that cannot be read are a problem too. Hashes of no supported
    scheme are None here: :func:`is_supported_hash` answers for those.
    """
    try:
        if password_hash.startswith("$argon2"):
            return _argon2_problem(password_hash)
        if password_hash.startswith(("$2a$", "$2b$", "$2y$")):
            cost = int(password_hash.split("$")[2])
            return _over("bcrypt cost", cost, MAX_COST["bcrypt_cost"])
        if password_hash.startswith("$pbkdf2-sha256$"):
            rounds = int(password_hash.split("$")[2])
            return _over("PBKDF2 iterations", rounds, MAX_COST["pbkdf2_iterations"])
        if password_hash.startswith(("pbkdf2:", "scrypt:")):
            return _werkzeug_problem(password_hash.split("$", 1)[0].split(":"))
    except (ValueError, IndexError, InvalidHashError):
        return "The hash's cost parameters cannot be read."
    return None


def _over(name: str, value: int, limit: int) -> str | None:
    if value < 1:
        raise ValueError(name)
    return f"{name} {value:,} is above the limit of {limit:,}." if value > limit else None


def _argon2_problem(password_hash: str) -> str | None:
    params = extract_parameters(password_hash)
    return (
        _over("argon2 memory (KiB)", params.memory_cost, MAX_COST["argon2_memory_kib"])
        or _over("argon2 time cost", params.time_cost, MAX_COST["argon2_time_cost"])
        or _over("argon2 parallelism", params.parallelism, MAX_COST["argon2_parallelism"])
    )


def _werkzeug_problem(method: list[str]) -> str | None:
    """werkzeug's ``pbkdf2:<digest>[:<iterations>]`` or ``scrypt[:<n>:<r>:<p>]``."""
    if method[0] == "pbkdf2":
        if len(method) < 3:
            return None  # werkzeug's own default number of iterations
        return _over("PBKDF2 iterations", int(method[2]), MAX_COST["pbkdf2_iterations"])
    if len(method) == 1:
        return None  # werkzeug's own default parameters
    n, r, p = (int(part) for part in method[1:4])
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        raise ValueError("scrypt N must be a power of two, r and p positive")
    return _over("scrypt N·r·p", n * r * p, MAX_COST["scrypt_work"])


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
