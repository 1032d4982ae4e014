"""Access-token verification in a tenant app: JWKS signatures checked locally.

The issuer comes from the tenant's discovery document; the keys from its JWKS at the URL
the app calls (not the public one, which a private network may not reach), fetched once
and again only for an unknown ``kid`` (a rotation), so a request costs no round trip. A
local check cannot see a logout or a revoked session before the token expires (15
minutes by default): ``check_revocation=True`` also asks ``/auth/validate``, which can.
"""

from __future__ import annotations

import threading
from typing import Any

import httpx
import jwt

from authsvc_client.errors import InvalidToken

ALGORITHMS = ["ES256", "RS256"]
ACCESS_TYPE = "at+jwt"


class TokenVerifier:
    """``TokenVerifier("https://id.example.com", "acme").verify(token)`` -> claims."""

    def __init__(
        self,
        base_url: str,
        tenant: str,
        *,
        audience: str | None = None,
        check_revocation: bool = False,
        leeway: float = 0,
        timeout: float = 5.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        self.audience = audience or tenant
        self.check_revocation = check_revocation
        self.leeway = leeway
        self.timeout = timeout
        self._discovery: dict[str, Any] | None = None
        self._jwks: jwt.PyJWKClient | None = None
        self._lock = threading.Lock()

    def _keys(self) -> tuple[str, jwt.PyJWKClient]:
        with self._lock:
            if self._discovery is None or self._jwks is None:
                wellknown = f"{self.base_url}/t/{self.tenant}/.well-known"
                response = httpx.get(f"{wellknown}/openid-configuration", timeout=self.timeout)
                response.raise_for_status()
                self._discovery = response.json()
                self._jwks = jwt.PyJWKClient(f"{wellknown}/jwks.json", timeout=self.timeout)
            return self._discovery["issuer"], self._jwks

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if it is this tenant's valid access token; else InvalidToken."""
        issuer, jwks = self._keys()
        try:
            if jwt.get_unverified_header(token).get("typ") != ACCESS_TYPE:
                raise InvalidToken("not an access token")
            key = jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub", "tid"]},
            )
        except (jwt.PyJWTError, httpx.HTTPError) as exc:
            raise InvalidToken(str(exc)) from None
        if self.check_revocation:
            self._check_revocation(token)
        return claims

    def _check_revocation(self, token: str) -> None:
        response = httpx.get(
            f"{self.base_url}/api/v1/auth/validate",
            params={"tenant": self.tenant},
            headers={"Authorization": f"Bearer {token}"},
            timeout=self.timeout,
        )
        if response.status_code != 200:
            raise InvalidToken("the token was revoked")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, if that is what it is."""
    scheme, _, token = (authorization or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
