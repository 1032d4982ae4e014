"""Webhook secrets and Standard Webhooks signatures.

A secret is ``whsec_<base64 of 24 random bytes>``, shown once when created or
rotated. Signing needs the secret itself, so it cannot be hashed like an API
key; it is sealed with AES-GCM under a key derived (HKDF) from
``SECRET_KEY`` so a database dump alone does not reveal it. Changing
``SECRET_KEY`` therefore requires rotating every webhook secret.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets as random_bytes
from datetime import datetime

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public prefix, not a secret
_NONCE_BYTES = 12


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random_bytes.token_bytes(24)).decode()


@functools.lru_cache(maxsize=4)
def _sealing_key(app_secret: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"authsvc webhook secrets")
    return hkdf.derive(app_secret.encode())


def seal(secret: str, app_secret: str) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = AESGCM(_sealing_key(app_secret)).encrypt(nonce, secret.encode(), b"whsec")
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(sealed: str, app_secret: str) -> str:
    raw = base64.urlsafe_b64decode(sealed)
    nonce, body = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
    return AESGCM(_sealing_key(app_secret)).decrypt(nonce, body, b"whsec").decode()


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`` as Standard Webhooks defines."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    message = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secrets: list[str], msg_id: str, sent_at: datetime, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers; one signature per secret (several while rotating)."""
    timestamp = int(sent_at.timestamp())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, msg_id, timestamp, body) for s in secrets),
        "content-type": "application/json",
        "user-agent": "authsvc-webhooks/1",
    }
