"""Checked by mypy in test_client_types.py, never run: what the generated types allow.

Each line marked ``type: ignore[...]`` must be an error (mypy runs with
``--warn-unused-ignores``, so a mistake the types stop catching fails the test).
"""

from __future__ import annotations

from authsvc_client import AsyncAuthsvcClient, AuthsvcClient
from authsvc_types import User, UserCreate, typed, typed_async


def api_key_calls(client: AuthsvcClient) -> str:
    api = typed(client)
    body: UserCreate = {"email": "ada@example.com", "display_name": "Ada"}
    created: User = api.call("post_user_list", json=body)
    fetched = api.call("get_user_item", user_id=created.get("id", ""))
    for row in api.paginate("get_user_list", q="ada", limit=50):
        print(row.get("email"))
    api.call("get_user_itme", user_id="u1")  # type: ignore[call-overload]
    api.call("get_user_item", userid="u1")  # type: ignore[call-overload]
    api.call("post_user_list", json={"emial": "x"})  # type: ignore[call-overload]
    print(fetched["emial"])  # type: ignore[typeddict-item]
    return fetched.get("email", "")


def end_user_calls(client: AuthsvcClient, access_token: str) -> None:
    api = typed(client)
    me: User = api.call("get_me", token=access_token)
    print(me.get("display_name"))
    api.call("get_me")  # type: ignore[call-overload]
    for session in api.call("get_my_sessions", token=access_token):
        print(session.get("id"))


async def asynchronous(client: AsyncAuthsvcClient) -> None:
    api = typed_async(client)
    user: User = await api.call("get_user_item", user_id="u1")
    print(user.get("email"))
    async for row in api.paginate("get_user_list"):
        print(row.get("id"))
    await api.call("get_user_item")  # type: ignore[call-overload]
