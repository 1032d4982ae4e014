"""One HTTP attempt: POST a signed body, classify the answer.

httpx with a pooled client per worker, connect and total timeouts, no
redirects followed, and at most ``READ_CAP`` bytes of the answer read (the
first 1 KiB is kept for the delivery log). Only a 2xx within the timeout is
success. Timeouts, connection errors, 3xx, 408, 429 and 5xx are retried;
other 4xx are final, and 410 Gone also disables the endpoint.
"""

from __future__ import annotations

import email.utils
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from authsvc.webhooks import targets

READ_CAP = 64 * 1024
SNIPPET_BYTES = 1024
RETRYABLE_4XX = {408, 429}
MAX_LOGGED_HEADERS = 50
HEADER_VALUE_CHARS = 500


@dataclass(frozen=True)
class Outcome:
    success: bool
    retry: bool
    status_code: int | None = None
    latency_ms: int = 0
    error: str | None = None
    response: str | None = None
    retry_after: float | None = None
    gone: bool = False
    #: The receiver's answer headers (at most ``MAX_LOGGED_HEADERS``), for the delivery log.
    response_headers: dict[str, str] | None = None
    #: What was sent, exactly as signed, and when (set by the caller that signed it).
    request_headers: dict[str, str] | None = None
    request_body: bytes | None = None
    sent_at: datetime | None = None


def make_client(connect_timeout: float, total_timeout: float, concurrency: int) -> httpx.Client:
    limits = httpx.Limits(max_connections=concurrency * 2, max_keepalive_connections=concurrency)
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's
    # algorithm holds the body until the receiver's delayed ACK (~40 ms per request).
    transport = httpx.HTTPTransport(
        limits=limits, socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
    )
    return httpx.Client(
        timeout=httpx.Timeout(total_timeout, connect=connect_timeout),
        follow_redirects=False,
        transport=transport,
        trust_env=False,
    )


def _pinned(target: targets.Target, url: str) -> tuple[str, dict[str, str], dict]:
    """The URL rewritten to the checked address, with Host and TLS name kept."""
    parsed = httpx.URL(url)
    address = f"[{target.address}]" if ":" in target.address else target.address
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    return str(parsed.copy_with(host=address)), {"host": host_header}, extensions


def parse_retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _read_capped(response: httpx.Response, deadline: float) -> bytes:
    received = bytearray()
    for chunk in response.iter_bytes():
        received += chunk
        if len(received) >= READ_CAP or time.monotonic() > deadline:
            break
    return bytes(received[:READ_CAP])


def logged_headers(response: httpx.Response) -> dict[str, str]:
    """The answer's headers, bounded: a hostile receiver cannot bloat the delivery log."""
    items = list(response.headers.items())[:MAX_LOGGED_HEADERS]
    return {name[:100]: value[:HEADER_VALUE_CHARS] for name, value in items}


def _classify(response: httpx.Response, body: bytes, elapsed_ms: int) -> Outcome:
    code = response.status_code
    snippet = body[:SNIPPET_BYTES].decode("utf-8", errors="ignore")
    headers = logged_headers(response)
    if 200 <= code < 300:
        return Outcome(True, False, code, elapsed_ms, None, snippet, response_headers=headers)
    retry = code >= 500 or code in RETRYABLE_4XX or 300 <= code < 400
    error = f"HTTP {code}" + (" (redirects are not followed)" if 300 <= code < 400 else "")
    return Outcome(
        False,
        retry,
        code,
        elapsed_ms,
        error,
        snippet,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
        gone=code == 410,
        response_headers=headers,
    )


def send(
    client: httpx.Client,
    url: str,
    body: bytes,
    headers: dict[str, str],
    allow_private: bool,
    total_timeout: float,
) -> Outcome:
    """POST ``body`` to ``url`` once; never raises for network or receiver trouble."""
    started = time.monotonic()
    try:
        target = targets.check(url, allow_private)
    except targets.TargetRefused as exc:
        # A name that stopped resolving may come back; a forbidden address will not.
        return Outcome(False, "does not resolve" in str(exc), error=str(exc)[:500])
    pinned_url, host, extensions = _pinned(target, url)
    try:
        request = client.build_request(
            "POST", pinned_url, content=body, headers={**headers, **host}, extensions=extensions
        )
        response = client.send(request, stream=True)
        try:
            received = _read_capped(response, started + total_timeout)
        finally:
            response.close()
    except httpx.TimeoutException as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(False, True, None, elapsed, f"Timed out ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        elapsed = int((time.monotonic() - started) * 1000)
        return Outcome(False, True, None, elapsed, f"{type(exc).__name__}: {exc}"[:500])
    elapsed = int((time.monotonic() - started) * 1000)
    if elapsed > total_timeout * 1000:
        return Outcome(False, True, response.status_code, elapsed, "Timed out (total)")
    return _classify(response, received, elapsed)
