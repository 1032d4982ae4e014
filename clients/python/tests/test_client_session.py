"""End-user flows through a tenant app's client: sign-up to logout, MFA, refresh."""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import pyotp
import pytest
from authsvc_client import (
    AsyncAuthsvcClient,
    AuthsvcClient,
    MfaRequired,
    NotSignedIn,
    TokenPair,
    Unauthorized,
)
from client_testdata import PASSWORD


@pytest.fixture
def front_end(base_url, tenant):
    """What a tenant's front end holds: a key with the ``auth`` scope only."""
    with AuthsvcClient(base_url, tenant.auth_key) as client:
        yield client


def expired(tokens: TokenPair) -> TokenPair:
    return dataclasses.replace(tokens, expires_at=0)


def test_register_login_me_sessions_logout(front_end):
    session = front_end.user_session()
    user = session.register("ada@example.com", PASSWORD, display_name="Ada")
    assert user["email"] == "ada@example.com"
    tokens = session.login(PASSWORD, email="ada@example.com")
    assert tokens.access_token and not tokens.expiring(60)
    assert session.me()["display_name"] == "Ada"
    assert session.update_me(display_name="Ada L.")["display_name"] == "Ada L."
    [row] = session.sessions()
    assert row["current"] is True
    session.logout()
    with pytest.raises(NotSignedIn):
        session.me()
    # The spent pair, replayed by someone who kept it, is refused.
    replay = front_end.user_session(tokens)
    with pytest.raises(Unauthorized):
        replay.me()


def test_an_expiring_access_token_is_refreshed_before_the_call(front_end):
    session = front_end.user_session()
    session.register("grace@example.com", PASSWORD)
    first = session.login(PASSWORD, username=None, email="grace@example.com")
    stored = []
    resumed = front_end.user_session(expired(first), on_tokens=stored.append)
    assert resumed.me()["email"] == "grace@example.com"
    assert len(stored) == 1 and stored[0].access_token != first.access_token
    assert stored[0].refresh_token != first.refresh_token


def test_concurrent_callers_refresh_once_and_keep_the_session(front_end):
    """Two refreshes of one token would look like reuse and revoke the session."""
    session = front_end.user_session()
    session.register("linus@example.com", PASSWORD)
    resumed = front_end.user_session(expired(session.login(PASSWORD, email="linus@example.com")))
    refreshed = []
    resumed.on_tokens = refreshed.append
    errors = []

    def read():
        try:
            resumed.me()
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and len(refreshed) == 1
    assert resumed.me()["email"] == "linus@example.com"


def test_mfa_enrolment_then_sign_in_with_a_code(front_end):
    session = front_end.user_session()
    session.register("mfa@example.com", PASSWORD)
    session.login(PASSWORD, email="mfa@example.com")
    secret = session.call("post_my_totp")["secret"]
    codes = session.call("post_my_totp_confirm", json={"code": pyotp.TOTP(secret).now()})
    assert len(codes["recovery_codes"]) == 10
    session.logout()
    with pytest.raises(MfaRequired) as pending:
        session.login(PASSWORD, email="mfa@example.com")
    with pytest.raises(Unauthorized):
        session.complete_mfa(pending.value.mfa_token, "000000")
    session.complete_mfa(pending.value.mfa_token, codes["recovery_codes"][0])
    assert session.me()["email"] == "mfa@example.com"


def test_a_session_revoked_elsewhere_ends_here(front_end):
    laptop, phone = front_end.user_session(), front_end.user_session()
    laptop.register("two@example.com", PASSWORD)
    laptop.login(PASSWORD, email="two@example.com")
    phone.login(PASSWORD, email="two@example.com")
    laptop.revoke_other_sessions()
    # The phone's refresh token is dead too, so its retry after the 401 fails.
    with pytest.raises(Unauthorized):
        phone.me()
    assert [row["current"] for row in laptop.sessions()] == [True]


def test_async_session_flow(base_url, tenant):
    async def scenario():
        async with AsyncAuthsvcClient(base_url, tenant.auth_key) as client:
            session = client.user_session()
            await session.register("async@example.com", PASSWORD)
            tokens = await session.login(PASSWORD, email="async@example.com")
            resumed = client.user_session(expired(tokens))
            me = await resumed.me()
            await resumed.logout()
            return me, resumed.tokens

    me, tokens = asyncio.run(scenario())
    assert me["email"] == "async@example.com" and tokens is None
