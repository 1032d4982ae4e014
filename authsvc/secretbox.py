"""Encryption at rest: the one AES-256-GCM seal for every secret authsvc must read back.

Signing keys, TOTP seeds, identity providers' client secrets and webhook secrets
are sealed with ``encrypt(plaintext, purpose)``. Each purpose has its own key,
derived from ``SECRET_KEY`` with HKDF, and the purpose is the associated data, so
a sealed value cannot be read as another kind of secret. Rotating ``SECRET_KEY``
makes old ciphertexts unreadable: rotate signing keys (``authsvc keys rotate``)
and webhook secrets after changing it.

``seal``/``open_sealed`` are the AEAD itself (a random 96-bit nonce before the
ciphertext), for a key derived elsewhere: a tenant export's passphrase key
(:mod:`authsvc.tenants.transfer.sealing`).
"""

from __future__ import annotations

import base64
import functools
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

NONCE_BYTES = 12


def seal(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def open_sealed(key: bytes, sealed: bytes, associated: bytes) -> bytes:
    """The plaintext; ``cryptography.exceptions.InvalidTag`` for another key or data."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], associated)


@functools.lru_cache(maxsize=32)
def _key(secret_key: str, purpose: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"authsvc-at-rest", info=purpose.encode()
    ).derive(secret_key.encode())


def encrypt(plaintext: bytes, purpose: str, secret_key: str | None = None) -> str:
    """Seal under ``SECRET_KEY`` (the current app's unless given, e.g. outside a request)."""
    key = _key(secret_key or current_app.config["SECRET_KEY"], purpose)
    return base64.b64encode(seal(key, plaintext, purpose.encode())).decode()


def decrypt(ciphertext: str, purpose: str, secret_key: str | None = None) -> bytes:
    key = _key(secret_key or current_app.config["SECRET_KEY"], purpose)
    return open_sealed(key, base64.b64decode(ciphertext), purpose.encode())
