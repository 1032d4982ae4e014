"""Protect FastAPI routes with authsvc access tokens (``pip install authsvc-client[fastapi]``).

``require_user = RequireUser(verifier)``, then ``claims: dict = Depends(require_user)``;
``RequireUser(verifier, roles=["admin"])`` also demands roles. Verification runs in a
worker thread: a key fetch after a rotation must not block the event loop.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import anyio
from fastapi import HTTPException, Request

from authsvc_client.errors import InvalidToken
from authsvc_client.verify import TokenVerifier, bearer_token

CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class RequireUser:
    """A dependency answering 401/403 unless the request carries a valid access token."""

    def __init__(self, verifier: TokenVerifier, roles: Iterable[str] = ()) -> None:
        self.verifier = verifier
        self.roles = set(roles)

    async def __call__(self, request: Request) -> dict[str, Any]:
        token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            raise HTTPException(401, "Missing bearer token", headers=CHALLENGE)
        try:
            claims = await anyio.to_thread.run_sync(self.verifier.verify, token)
        except InvalidToken as exc:
            raise HTTPException(401, f"Invalid token: {exc}", headers=CHALLENGE) from None
        if not self.roles <= set(claims.get("roles", [])):
            raise HTTPException(403, "A required role is missing")
        return claims
