"""Who is at the keyboard: the end user's IP, user agent and device, per request.

Tenant apps call the API from their own servers, so the connection's address
is the tenant app's. The app may pass the end user's address in the
``X-End-User-IP`` header (or an ``ip`` body field); it is trusted only on
requests authenticated with that tenant's API key, and is what per-IP
lockout counters, sessions and the audit log use.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from flask import g, has_request_context, request

END_USER_IP_HEADER = "X-End-User-IP"


@dataclass(frozen=True)
class ClientContext:
    ip: str | None = None
    user_agent: str | None = None
    device_name: str | None = None
    device_id: str | None = None


def _valid_ip(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def from_request(body: dict | None = None) -> ClientContext:
    """The end user's context for this request (a neutral one outside requests)."""
    if not has_request_context():
        return ClientContext()
    body = body or {}
    ip = None
    if g.get("principal") is not None and not isinstance(g.get("principal"), Exception):
        ip = _valid_ip(body.get("ip")) or _valid_ip(request.headers.get(END_USER_IP_HEADER))
    user_agent = body.get("user_agent") or request.headers.get("User-Agent")
    return ClientContext(
        ip=ip or request.remote_addr,
        user_agent=(user_agent or "")[:512] or None,
        device_name=(body.get("device_name") or None),
        device_id=(body.get("device_id") or None),
    )
