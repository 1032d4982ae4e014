"""API-key clients, sync and async: every operation by ``operationId``, pages as iterators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from authsvc_client.operations import (
    DOCUMENT_PATH,
    Operation,
    build_request,
    page_items,
    read_operations,
    result,
)

if TYPE_CHECKING:
    from authsvc_client.session import AsyncUserSession, UserSession
    from authsvc_client.tokens import TokenPair


class Operations:
    """``client.ops.get_user_item(user_id=...)``: operations as methods (tab-completable)."""

    def __init__(self, call: Callable[..., Any], names: Callable[[], list[str]]) -> None:
        self._call, self._names = call, names

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if name.startswith("_"):
            raise AttributeError(name)

        def operation(**kwargs: Any) -> Any:
            return self._call(name, **kwargs)

        operation.__name__ = name
        return operation

    def __dir__(self) -> list[str]:
        return self._names()


class _Base:
    def __init__(self, base_url: str, api_key: str | None, document: dict[str, Any] | None) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self._operations = read_operations(document) if document else None

    @staticmethod
    def _find(operations: dict[str, Operation], operation_id: str) -> Operation:
        try:
            return operations[operation_id]
        except KeyError:
            raise AttributeError(f"the API has no operation {operation_id!r}") from None

    def _headers(self, op: Operation, token: str | None) -> dict[str, str]:
        headers = {"X-API-Key": self.api_key} if self.api_key else {}
        if op.bearer:
            if not token:
                raise TypeError(f"{op.operation_id} needs an end user's access token (token=)")
            headers["Authorization"] = f"Bearer {token}"
        return headers


class AuthsvcClient(_Base):
    """A tenant app's client: ``AuthsvcClient("https://id.example.com", api_key="ak_...")``.

    The operations come from the server's OpenAPI document, read on first use (or pass
    ``document=`` to use a saved copy and save the round trip).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        document: dict[str, Any] | None = None,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key, document)
        self.http = httpx.Client(base_url=self.base_url, timeout=timeout, transport=transport)
        self.ops = Operations(self.call, lambda: sorted(self.operations))

    @property
    def operations(self) -> dict[str, Operation]:
        if self._operations is None:
            self._operations = read_operations(result(self.http.get(DOCUMENT_PATH)))
        return self._operations

    def call(
        self, operation_id: str, /, *, json: Any = None, token: str | None = None, **args: Any
    ) -> Any:
        """Call one operation; keyword arguments are its path, query and header parameters."""
        op = self._find(self.operations, operation_id)
        request = build_request(self.http, op, args, json=json, headers=self._headers(op, token))
        return result(self.http.send(request))

    def paginate(self, operation_id: str, /, **args: Any) -> Iterator[Any]:
        """Every row of a cursor-paginated listing, fetching pages as iteration goes."""
        while True:
            items, cursor = page_items(self.call(operation_id, **args))
            yield from items
            if not cursor:
                return
            args["cursor"] = cursor

    def user_session(self, tokens: TokenPair | None = None, **options: Any) -> UserSession:
        """An end user's session: sign-in, MFA, refresh, /me (see :class:`UserSession`)."""
        from authsvc_client.session import UserSession

        return UserSession(self, tokens, **options)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> AuthsvcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncAuthsvcClient(_Base):
    """The asyncio twin of :class:`AuthsvcClient` (``await client.call(...)``)."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        document: dict[str, Any] | None = None,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key, document)
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, transport=transport)
        self.ops = Operations(self.call, lambda: sorted(self._operations or {}))

    async def operations(self) -> dict[str, Operation]:
        if self._operations is None:
            self._operations = read_operations(result(await self.http.get(DOCUMENT_PATH)))
        return self._operations

    async def call(
        self, operation_id: str, /, *, json: Any = None, token: str | None = None, **args: Any
    ) -> Any:
        op = self._find(await self.operations(), operation_id)
        request = build_request(self.http, op, args, json=json, headers=self._headers(op, token))
        return result(await self.http.send(request))

    async def paginate(self, operation_id: str, /, **args: Any) -> AsyncIterator[Any]:
        while True:
            items, cursor = page_items(await self.call(operation_id, **args))
            for item in items:
                yield item
            if not cursor:
                return
            args["cursor"] = cursor

    def user_session(self, tokens: TokenPair | None = None, **options: Any) -> AsyncUserSession:
        from authsvc_client.session import AsyncUserSession

        return AsyncUserSession(self, tokens, **options)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> AsyncAuthsvcClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
