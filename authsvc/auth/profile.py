"""Lean reads of one user: ``GET /me`` and sign-in.

These run far more often than anything else that reads a user, so instead of
an ORM object with its role links they read one row per role with a prebuilt,
tenant-bound statement (:mod:`queries`) and hand back a plain object with the
attributes the callers use.
"""

from __future__ import annotations

from types import SimpleNamespace

from authsvc.auth import queries
from authsvc.errors import NotFound
from authsvc.ids import parse_id
from authsvc.users.emails import login_key
from authsvc.users.service import user_payload


def find_for_login(identifier: str) -> tuple[SimpleNamespace | None, bool]:
    """The user an identifier names (email or username, normalised), with roles, and
    whether a confirmed TOTP factor guards the account: one statement."""
    normalized = login_key(identifier)
    statement = queries.USER_BY_EMAIL if "@" in normalized else queries.USER_BY_USERNAME
    found = queries.user_with_roles(statement, login=normalized)
    if found is None:
        return None, False
    mfa_on = found.pop("mfa_on")
    return SimpleNamespace(**found), bool(mfa_on)


def my_profile(user_id: str) -> dict:
    """``user_payload`` plus ``preferences`` for the token's user (NotFound if deleted)."""
    # A GET: the API reads it in autocommit (authsvc.connections), one round trip.
    found = queries.user_with_roles(
        queries.USER_BY_ID["profile"], user_id=parse_id(user_id, "user")
    )
    if found is None:
        raise NotFound(f"No user with id {user_id}.")
    found["user_metadata"] = found.pop("metadata")
    user = SimpleNamespace(**found)
    return {**user_payload(user), "preferences": user.preferences}
