"""Verify authsvc webhook messages (Standard Webhooks signatures) in a receiver."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

from authsvc_client.errors import AuthsvcError


class InvalidWebhook(AuthsvcError):
    """Bad signature, stale or future timestamp, or missing ``webhook-*`` headers."""


def verify_webhook(
    secret: str | list[str], body: bytes | str, headers: Mapping[str, str]
) -> dict[str, Any]:
    """The event of a signed message; raises InvalidWebhook if any check fails.

    Pass the raw body, as received: re-serialised JSON no longer matches the signature.
    During a secret rotation pass both secrets; a message signed with either is accepted.
    """
    secrets = [secret] if isinstance(secret, str) else list(secret)
    plain = {key.lower(): value for key, value in headers.items()}
    for candidate in secrets:
        try:
            return Webhook(candidate).verify(body, plain)
        except WebhookVerificationError:
            continue
    raise InvalidWebhook("The webhook signature did not verify")
