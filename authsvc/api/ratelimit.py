"""The REST API's rate limits, declared on Flask-Limiter and counted in its storage.

Rationale: one path counts every limit of the app (API, hosted pages, panel):
Flask-Limiter's decorators and blueprint limits, its ``RATELIMIT_*`` settings,
its storage (``memory://`` in the process, or Redis when ``AUTHSVC_REDIS_URL``
is set, where every process shares the counters) and its in-memory fallback
while Redis is unreachable. Two kinds of limit apply to the API:

* **Per caller**, on every call but ``/auth/validate``, at the tenant's
  ``settings.rate_limit`` (``RATELIMIT_DEFAULT`` without one). A key with a
  server-side scope counts per key. A key with only the ``auth`` scope is
  shared by every browser that runs the tenant's app, so it counts per tenant
  and connection address instead; calls without a key count per address.
* **Per public flow** (sign-in, MFA, refresh, sign-up, reset and verification
  mails), per tenant and end-user address (``RATELIMIT_<FLOW>``) and per
  tenant and account named in the body (``RATELIMIT_<FLOW>_PER_ACCOUNT``),
  whatever key is used: a burst from one address or against one account
  never refuses anyone else.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable

from flask import Blueprint, Response, current_app, request
from flask_limiter import ExemptionScope, RequestLimit, RouteLimit
from werkzeug.exceptions import HTTPException

from authsvc.apikeys.authentication import optional_principal
from authsvc.auth import context
from authsvc.errors import RateLimited, render_error
from authsvc.extensions import limiter
from authsvc.metrics import instruments
from authsvc.storable import text_problem

# Reverse proxies call /auth/validate on every request they forward.
UNLIMITED_ENDPOINTS = frozenset({"api.auth_validate"})


@limiter.request_filter
def _unlimited() -> bool:
    return request.endpoint in UNLIMITED_ENDPOINTS


def caller_key() -> str:
    """Whom a call counts against: a server-side key, or a tenant's browser, or an address."""
    principal = optional_principal()
    if principal is None:
        return f"ip:{request.remote_addr}"
    if context.may_forward_end_user(principal):
        return f"key:{principal.prefix}"
    return f"browser:{principal.tenant_id}:{request.remote_addr}"


def caller_limit() -> str:
    """The tenant's own limit, or the default."""
    principal = optional_principal()
    return (principal and principal.rate_limit) or current_app.config["RATELIMIT_DEFAULT"]


def limit_callers(bp: Blueprint) -> None:
    """Count every call to ``bp`` per caller, in one bucket across its endpoints."""
    limiter.shared_limit(caller_limit, scope="api", key_func=caller_key)(bp)
    # The per-caller limit replaces Flask-Limiter's default limits on the API.
    limiter.exempt(bp, flags=ExemptionScope.DEFAULT | ExemptionScope.APPLICATION)


def _body() -> dict:
    # A key function must not raise: Flask-Limiter takes any error in it for a
    # storage failure. A body too large, too deep or not JSON is refused by the view.
    try:
        body = request.get_json(silent=True)
    except (HTTPException, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


def _tenant() -> str:
    principal = optional_principal()
    return str(principal.tenant_id) if principal else "-"


def _end_user_key() -> str:
    return f"address:{_tenant()}:{context.end_user_ip(_body())}"


def _account(fields: tuple[str, ...]) -> str | None:
    body = _body()
    for name in fields:
        value = body.get(name)
        # Unstorable text (a NUL, a lone surrogate) is refused by the view with a 422.
        if isinstance(value, str) and value.strip() and text_problem(value) is None:
            return value.strip().casefold()
    return None


def _account_key(fields: tuple[str, ...]) -> Callable[[], str]:
    def key() -> str:
        # Hashed: counters (and Flask-Limiter's log lines) carry no email address.
        named = f"{_tenant()}:{_account(fields)}".encode()
        return "account:" + hashlib.sha256(named).hexdigest()[:32]

    return key


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def flow_limits(flow: str, account: tuple[str, ...] = ()) -> list[RouteLimit]:
    """A public flow's limits, as a resource's ``decorators``.

    ``RATELIMIT_<flow>`` per tenant and end-user address and, when ``account``
    names the body fields that identify the account, ``RATELIMIT_<flow>_PER_ACCOUNT``
    per tenant and account. The caller's own limit applies on top of them.
    """
    limits = [
        limiter.limit(
            _setting(f"RATELIMIT_{flow}"),
            key_func=_end_user_key,
            methods=["POST"],
            override_defaults=False,
        )
    ]
    if account:
        limits.append(
            limiter.limit(
                _setting(f"RATELIMIT_{flow}_PER_ACCOUNT"),
                key_func=_account_key(account),
                methods=["POST"],
                exempt_when=lambda: _account(account) is None,
                override_defaults=False,
            )
        )
    return limits


def problem(limit: RequestLimit) -> Response:
    """The answer to a breached limit: a problem document, ``Retry-After`` its window's end."""
    retry_after = math.ceil(limit.reset_at - time.time())
    instruments.rate_limit_refused(request.url_rule.rule if request.url_rule else None)
    error = RateLimited(f"Rate limit exceeded ({limit.limit}).", retry_after=retry_after)
    return render_error(error)
