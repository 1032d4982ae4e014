"""An end user's token pair and when it needs refreshing."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from authsvc_client.errors import MfaRequired


@dataclass(frozen=True)
class TokenPair:
    """Access and refresh token; ``expires_at`` is a UNIX time (seconds)."""

    access_token: str
    refresh_token: str
    expires_at: float

    @classmethod
    def from_answer(cls, body: dict[str, Any]) -> TokenPair:
        """The pair of a sign-in, MFA or refresh answer; MfaRequired when one is pending."""
        if body.get("mfa_required"):
            raise MfaRequired(body["mfa_token"])
        return cls(body["access_token"], body["refresh_token"], time.time() + body["expires_in"])

    def expiring(self, leeway: float) -> bool:
        """Whether the access token lapses within ``leeway`` seconds."""
        return time.time() + leeway >= self.expires_at
