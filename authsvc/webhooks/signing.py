"""Webhook secrets and Standard Webhooks signatures.

A secret is ``whsec_<base64 of 24 random bytes>``, shown once when created or
rotated. Signing needs the secret itself, so it cannot be hashed like an API
key; it is sealed with :func:`authsvc.secretbox.encrypt` (``SECRET_PURPOSE``)
so a database dump alone does not reveal it. Changing ``SECRET_KEY``
therefore requires rotating every webhook secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as random_bytes
from datetime import datetime

from authsvc import secretbox

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public prefix, not a secret
SECRET_PURPOSE = "webhook secret"  # noqa: S105 - the sealing purpose label


def generate_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random_bytes.token_bytes(24)).decode()


def seal(secret: str, secret_key: str | None = None) -> str:
    return secretbox.encrypt(secret.encode(), SECRET_PURPOSE, secret_key)


def unseal(sealed: str, secret_key: str | None = None) -> str:
    return secretbox.decrypt(sealed, SECRET_PURPOSE, secret_key).decode()


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
