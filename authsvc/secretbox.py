"""Encryption at rest for signing keys and TOTP secrets (AES-256-GCM).

The key is derived from ``SECRET_KEY`` with HKDF and a purpose label, so
rotating the secret key makes old ciphertexts unreadable: rotate signing keys
(``authsvc keys rotate``) after changing it.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _key(purpose: str) -> bytes:
    cache = current_app.extensions.setdefault("authsvc.secretbox", {})
    if purpose not in cache:
        cache[purpose] = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=b"authsvc-at-rest", info=purpose.encode()
        ).derive(current_app.config["SECRET_KEY"].encode())
    return cache[purpose]


def encrypt(plaintext: bytes, purpose: str) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(_key(purpose)).encrypt(nonce, plaintext, purpose.encode())
    return base64.b64encode(nonce + sealed).decode()


def decrypt(ciphertext: str, purpose: str) -> bytes:
    raw = base64.b64decode(ciphertext)
    return AESGCM(_key(purpose)).decrypt(raw[:12], raw[12:], purpose.encode())
