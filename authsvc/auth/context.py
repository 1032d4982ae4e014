"""Who is at the keyboard: the end user's IP, user agent and device, per request.

Tenant apps that call the API from their own servers connect from the server's
address, so they may name the end user's address in the ``X-End-User-IP``
header (or an ``ip`` body field). Only a key with a server-side scope may: a
key with nothing but the ``auth`` scope is made to ship in a browser app, where
anyone can read it and send any header, so its calls count the connection's
address (the client's, through ``AUTHSVC_PROXY_FIX_HOPS`` trusted proxies).
That address is what per-IP lockout counters, flow limits, sessions and the
audit log use.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context, request

from authsvc.apikeys.authentication import Principal

END_USER_IP_HEADER = "X-End-User-IP"
#: Scopes a key may have and still be public (embedded in a browser app).
BROWSER_SCOPES = frozenset({"auth"})


@dataclass(frozen=True)
class ClientContext:
    ip: str | None = None
    user_agent: str | None = None
    device_name: str | None = None
    device_id: str | None = None


def _valid_ip(value: Any) -> str | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def may_forward_end_user(principal: Principal | None) -> bool:
    """Whether ``principal`` is a key with a server-side scope (one that is kept secret)."""
    return principal is not None and not principal.scopes <= BROWSER_SCOPES


def end_user_ip(body: Mapping[str, Any] | None = None) -> str | None:
    """The end user's address: as a server-side key names it, else the connection's."""
    principal = g.get("principal")
    if isinstance(principal, Principal) and may_forward_end_user(principal):
        forwarded = _valid_ip((body or {}).get("ip")) or _valid_ip(
            request.headers.get(END_USER_IP_HEADER)
        )
        if forwarded:
            return forwarded
    return request.remote_addr


def from_request(body: dict | None = None) -> ClientContext:
    """The end user's context for this request (a neutral one outside requests)."""
    if not has_request_context():
        return ClientContext()
    body = body or {}
    user_agent = body.get("user_agent") or request.headers.get("User-Agent")
    return ClientContext(
        ip=end_user_ip(body),
        user_agent=(user_agent or "")[:512] or None,
        device_name=(body.get("device_name") or None),
        device_id=(body.get("device_id") or None),
    )
