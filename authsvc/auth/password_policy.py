"""Password policy (NIST SP 800-63B): length limits and a common-password list.

No composition rules. The list of common and breached passwords is the
30,000-entry frequency list shipped with the ``zxcvbn`` package.
"""

from __future__ import annotations

from functools import lru_cache

from authsvc.auth.tenant_policy import AuthPolicy
from authsvc.errors import ValidationFailed


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def problems(password: str, policy: AuthPolicy, *, context: tuple[str, ...] = ()) -> list[str]:
    """Why ``password`` is not acceptable (empty when it is)."""
    found = []
    if len(password) < policy.password_min_length:
        found.append(f"Use at least {policy.password_min_length} characters.")
    if len(password) > policy.password_max_length:
        found.append(f"Use at most {policy.password_max_length} characters.")
    lowered = password.lower()
    if lowered in _common_passwords():
        found.append("This password is too common; choose another.")
    elif any(part and len(part) >= 4 and part.lower() == lowered for part in context):
        found.append("Do not use your email or username as the password.")
    return found


def check(password: str, policy: AuthPolicy, *, field: str = "password", context=()) -> None:
    found = problems(password, policy, context=context)
    if found:
        raise ValidationFailed(errors={field: found})
