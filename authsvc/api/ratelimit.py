"""The REST API's own rate limit: per API key, at its tenant's limit, before any view.

Rationale: every API call pays this check, so it is done directly with the
``limits`` strategy and storage that Flask-Limiter configured (memory, or Redis
when ``AUTHSVC_REDIS_URL`` is set) rather than through Flask-Limiter's generic
per-request resolution of a dynamic blueprint limit, which cost about a tenth of
a single-user read. The per-flow limits (login, sign-up, password reset) are
counted the same way (:func:`hit`); Flask-Limiter serves the panel and the
hosted pages. Calls without a key count per client address at the default
limit. If the shared storage fails, the process counts in memory for
``_RETRY_STORAGE_SECONDS`` and then tries it again, as Flask-Limiter's in-memory
fallback does.
"""

from __future__ import annotations

import logging
import time
from functools import lru_cache

from flask import Flask, Response, current_app, g, request
from limits import RateLimitItem, parse
from limits.strategies import STRATEGIES, FixedWindowRateLimiter, RateLimiter

from authsvc.apikeys.authentication import optional_principal
from authsvc.errors import RateLimited
from authsvc.extensions import limiter
from authsvc.ratelimit_storage import SweepingMemoryStorage

log = logging.getLogger(__name__)

NAMESPACE = "api"
# Reverse proxies call /auth/validate on every request they forward: it is not
# counted against the proxy's address, and skips rate limiting entirely.
UNLIMITED_ENDPOINTS = frozenset({"api.auth_validate"})
_RETRY_STORAGE_SECONDS = 5.0


@lru_cache(maxsize=1024)
def limit_item(limit: str) -> RateLimitItem:
    """Parse a limit such as ``600/minute`` once per process."""
    return parse(limit)


class _Fallback:
    """The in-memory counter used while the shared storage is unreachable."""

    def __init__(self) -> None:
        self.strategy: RateLimiter | None = None
        self.until = 0.0

    def active(self) -> bool:
        return time.monotonic() < self.until

    def engage(self, strategy_name: str) -> RateLimiter:
        if self.strategy is None:
            self.strategy = STRATEGIES[strategy_name](SweepingMemoryStorage())
        if not self.active():
            log.warning("rate-limit storage unreachable; counting in memory for now")
        self.until = time.monotonic() + _RETRY_STORAGE_SECONDS
        return self.strategy


def _state() -> _Fallback:
    return current_app.extensions["authsvc.api_ratelimit"]


def _count(item: RateLimitItem, key: str) -> tuple[bool, int, float]:
    def count(strategy: RateLimiter) -> tuple[bool, int, float]:
        if isinstance(strategy, FixedWindowRateLimiter):
            # What hit() and get_window_stats() do together, with one count
            # instead of two reads of it: the storage's counter is the window.
            storage_key = item.key_for(NAMESPACE, key)
            used = strategy.storage.incr(storage_key, item.get_expiry(), amount=1)
            reset = strategy.storage.get_expiry(storage_key)
            return used <= item.amount, max(0, item.amount - used), reset
        allowed = strategy.hit(item, NAMESPACE, key)
        reset, remaining = strategy.get_window_stats(item, NAMESPACE, key)
        return allowed, remaining, reset

    fallback = _state()
    try:
        return count(fallback.strategy if fallback.active() else limiter.limiter)
    except Exception:  # noqa: BLE001 - any storage failure: keep limiting in memory
        return count(fallback.engage(current_app.config.get("RATELIMIT_STRATEGY", "fixed-window")))


def hit(limit: str, key: str) -> None:
    """Count one call against ``key`` at ``limit`` (e.g. ``600/minute``); 429 beyond it.

    Used for the per-key limit of every call and for the per-flow limits (login,
    sign-up, password reset); the last one counted gives the X-RateLimit headers.
    """
    if not limiter.enabled:
        return
    item = limit_item(limit)
    allowed, remaining, reset = _count(item, key)
    g.api_rate_limit = (item.amount, remaining, reset)
    if not allowed:
        raise RateLimited(
            f"Rate limit exceeded ({item}).", retry_after=int(reset - time.time()) + 1
        )


def check_rate_limit() -> None:
    """Count this call against its key (or address) at its tenant's limit."""
    if request.endpoint in UNLIMITED_ENDPOINTS:
        return
    principal = optional_principal()
    if principal is not None:
        hit(
            principal.rate_limit or current_app.config["RATELIMIT_DEFAULT"],
            f"key:{principal.prefix}",
        )
    else:
        hit(current_app.config["RATELIMIT_DEFAULT"], f"ip:{request.remote_addr}")


def add_headers(response: Response) -> Response:
    state = g.get("api_rate_limit")
    if state is not None:
        amount, remaining, reset = state
        response.headers["X-RateLimit-Limit"] = str(amount)
        response.headers["X-RateLimit-Remaining"] = str(remaining)
        response.headers["X-RateLimit-Reset"] = str(int(reset))
    return response


def init_app(app: Flask) -> None:
    app.extensions["authsvc.api_ratelimit"] = _Fallback()
