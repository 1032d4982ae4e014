"""Secrets in a tenant export, sealed under a key the operator gives on the command line.

The key is a passphrase stretched with scrypt (a random salt per export, in
the document's header); each secret is sealed with the one AES-256-GCM seal
(:func:`authsvc.secretbox.seal`), its field name as associated data, so a
sealed value cannot be moved to another field. The header carries a sealed
check value, so a wrong key fails before anything is imported.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from authsvc.errors import ValidationFailed
from authsvc.secretbox import open_sealed, seal

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_CHECK = "authsvc-transfer-key-check"
MIN_KEY_LENGTH = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


class TransferKey:
    """A passphrase stretched for one export (``salt``) or for reading one back."""

    def __init__(self, passphrase: str, salt: bytes | None = None) -> None:
        if len(passphrase) < MIN_KEY_LENGTH:
            raise ValidationFailed(
                errors={"secrets_key": [f"Use at least {MIN_KEY_LENGTH} characters."]}
            )
        self.salt = salt or os.urandom(16)
        kdf = Scrypt(salt=self.salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        self._key = kdf.derive(passphrase.encode())

    def seal(self, secret: str, field: str) -> str:
        return _b64(seal(self._key, secret.encode(), field.encode()))

    def unseal(self, sealed: str, field: str) -> str:
        try:
            return open_sealed(self._key, _unb64(sealed), field.encode()).decode()
        except (InvalidTag, ValueError) as exc:
            message = "Cannot be unsealed with this key."
            raise ValidationFailed("Wrong key.", errors={field: [message]}) from exc

    def header(self) -> dict[str, str]:
        return {"kdf": "scrypt", "salt": _b64(self.salt), "check": self.seal(_CHECK, "check")}

    @classmethod
    def for_document(cls, passphrase: str, header: dict | None) -> TransferKey:
        """The key that opens a document's secrets; ValidationFailed if it is not that key."""
        if not header or header.get("kdf") != "scrypt":
            message = "This export holds no sealed secrets."
            raise ValidationFailed("No secrets.", errors={"secrets": [message]})
        key = cls(passphrase, _unb64(str(header.get("salt", ""))))
        try:
            key.unseal(str(header.get("check", "")), "check")
        except ValidationFailed:
            message = "Not the key of this export."
            raise ValidationFailed("Wrong key.", errors={"secrets_key": [message]}) from None
        return key
