"""An end user's session through a tenant app: sign-in, MFA, refresh, logout, /me.

The access token is refreshed before a call when it lapses within ``leeway`` seconds,
and once more if the server answers 401 (it may have been revoked early or the clocks
disagree). Refresh tokens rotate and reusing a spent one revokes the whole session, so
concurrent callers refresh under a lock and the second one reuses the first one's pair.
``on_tokens`` is called with every new pair (or None on logout): store it there.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from authsvc_client.errors import NotSignedIn, Unauthorized
from authsvc_client.tokens import TokenPair

if TYPE_CHECKING:
    from authsvc_client.client import AsyncAuthsvcClient, AuthsvcClient

TokenSink = Callable[[TokenPair | None], None]


def _login_body(password: str, email: str | None, username: str | None, extra: dict) -> dict:
    identity = {"email": email} if email else {"username": username}
    return {**identity, "password": password, **extra}


class _State:
    def __init__(self, tokens: TokenPair | None, on_tokens: TokenSink | None, leeway: float):
        self.tokens, self.on_tokens, self.leeway = tokens, on_tokens, leeway

    def store(self, tokens: TokenPair | None) -> TokenPair | None:
        self.tokens = tokens
        if self.on_tokens is not None:
            self.on_tokens(tokens)
        return tokens

    def require(self) -> TokenPair:
        if self.tokens is None:
            raise NotSignedIn("Sign in first, or pass the stored tokens")
        return self.tokens


class UserSession(_State):
    """``session = client.user_session(); session.login("pw", email="ada@example.com")``."""

    def __init__(
        self,
        client: AuthsvcClient,
        tokens: TokenPair | None = None,
        *,
        on_tokens: TokenSink | None = None,
        leeway: float = 30.0,
    ) -> None:
        super().__init__(tokens, on_tokens, leeway)
        self.client = client
        self._lock = threading.Lock()

    def register(self, email: str, password: str, **fields: Any) -> dict:
        """Sign up; the answer is the new user (or ``{"status": "accepted"}``)."""
        return self.client.call(
            "post_register", json={"email": email, "password": password, **fields}
        )

    def login(
        self, password: str, *, email: str | None = None, username: str | None = None, **extra: Any
    ) -> TokenPair:
        """Sign in; raises MfaRequired (with its ``mfa_token``) when a second factor is due."""
        body = _login_body(password, email, username, extra)
        return self.store(TokenPair.from_answer(self.client.call("post_login", json=body)))

    def complete_mfa(self, mfa_token: str, code: str) -> TokenPair:
        answer = self.client.call("post_mfa_login", json={"mfa_token": mfa_token, "code": code})
        return self.store(TokenPair.from_answer(answer))

    def refresh(self) -> TokenPair:
        """Exchange the refresh token now (the old one is spent)."""
        with self._lock:
            return self._refresh_locked(self.require())

    def _refresh_locked(self, seen: TokenPair) -> TokenPair:
        current = self.require()
        if current is not seen:
            return current  # another caller refreshed while this one waited
        answer = self.client.call("post_refresh", json={"refresh_token": seen.refresh_token})
        return self.store(TokenPair.from_answer(answer))

    def call(self, operation_id: str, /, *, json: Any = None, **args: Any) -> Any:
        """Call a Bearer operation as this user, refreshing the access token as needed."""
        tokens = self.require()
        if tokens.expiring(self.leeway):
            with self._lock:
                tokens = self._refresh_locked(tokens)
        try:
            return self.client.call(operation_id, json=json, token=tokens.access_token, **args)
        except Unauthorized:
            with self._lock:
                tokens = self._refresh_locked(tokens)
            return self.client.call(operation_id, json=json, token=tokens.access_token, **args)

    def logout(self) -> None:
        """End this session on the server and forget the tokens."""
        self.client.call("post_logout", token=self.require().access_token)
        self.store(None)

    def me(self) -> dict:
        return self.call("get_me")

    def update_me(self, **fields: Any) -> dict:
        return self.call("patch_me", json=fields)

    def sessions(self) -> list[dict]:
        return self.call("get_my_sessions")

    def revoke_session(self, session_id: str) -> None:
        self.call("delete_my_session", session_id=session_id)

    def revoke_other_sessions(self) -> None:
        self.call("delete_my_sessions")


class AsyncUserSession(_State):
    """The asyncio twin of :class:`UserSession`."""

    def __init__(
        self,
        client: AsyncAuthsvcClient,
        tokens: TokenPair | None = None,
        *,
        on_tokens: TokenSink | None = None,
        leeway: float = 30.0,
    ) -> None:
        super().__init__(tokens, on_tokens, leeway)
        self.client = client
        self._lock = asyncio.Lock()

    async def register(self, email: str, password: str, **fields: Any) -> dict:
        body = {"email": email, "password": password, **fields}
        return await self.client.call("post_register", json=body)

    async def login(
        self, password: str, *, email: str | None = None, username: str | None = None, **extra: Any
    ) -> TokenPair:
        body = _login_body(password, email, username, extra)
        return self.store(TokenPair.from_answer(await self.client.call("post_login", json=body)))

    async def complete_mfa(self, mfa_token: str, code: str) -> TokenPair:
        body = {"mfa_token": mfa_token, "code": code}
        return self.store(
            TokenPair.from_answer(await self.client.call("post_mfa_login", json=body))
        )

    async def refresh(self) -> TokenPair:
        async with self._lock:
            return await self._refresh_locked(self.require())

    async def _refresh_locked(self, seen: TokenPair) -> TokenPair:
        current = self.require()
        if current is not seen:
            return current
        body = {"refresh_token": seen.refresh_token}
        return self.store(TokenPair.from_answer(await self.client.call("post_refresh", json=body)))

    async def call(self, operation_id: str, /, *, json: Any = None, **args: Any) -> Any:
        tokens = self.require()
        if tokens.expiring(self.leeway):
            async with self._lock:
                tokens = await self._refresh_locked(tokens)
        try:
            return await self.client.call(
                operation_id, json=json, token=tokens.access_token, **args
            )
        except Unauthorized:
            async with self._lock:
                tokens = await self._refresh_locked(tokens)
            return await self.client.call(
                operation_id, json=json, token=tokens.access_token, **args
            )

    async def logout(self) -> None:
        await self.client.call("post_logout", token=self.require().access_token)
        self.store(None)

    async def me(self) -> dict:
        return await self.call("get_me")

    async def update_me(self, **fields: Any) -> dict:
        return await self.call("patch_me", json=fields)

    async def sessions(self) -> list[dict]:
        return await self.call("get_my_sessions")

    async def revoke_session(self, session_id: str) -> None:
        await self.call("delete_my_session", session_id=session_id)

    async def revoke_other_sessions(self) -> None:
        await self.call("delete_my_sessions")
