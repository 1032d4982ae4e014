"""SSRF guard: which addresses a webhook may be sent to.

Rationale: a tenant chooses the URL, and the worker sits inside our network,
so a URL naming (or resolving to) a private, loopback, link-local,
multicast, reserved or cloud-metadata address would let a tenant probe it.
The host is checked when the webhook is saved (a clear 422) and resolved
again at send time, and the request goes to the address that was checked
(the hostname is kept for the Host header and TLS), so a DNS answer that
changes between the check and the connection cannot redirect it.
``WEBHOOK_ALLOW_PRIVATE_TARGETS`` lifts the restriction (tests, on-premises
receivers).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

# Metadata services that are not covered by the private/link-local ranges.
METADATA_HOSTS = {"metadata.google.internal", "metadata.goog", "metadata"}
METADATA_ADDRESSES = {
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
}


class TargetRefused(ValueError):
    """The URL may not be used as a webhook target; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    address: str


def _forbidden(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address in METADATA_ADDRESSES
        or (isinstance(address, ipaddress.IPv4Address) and address in _CARRIER_NAT)
    )


_CARRIER_NAT = ipaddress.ip_network("100.64.0.0/10")


def parse(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or :class:`TargetRefused`."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("Use an http:// or https:// URL.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username or parts.password:
        raise TargetRefused("Credentials in the URL are not allowed; verify signatures instead.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TargetRefused("The URL has an invalid port.") from exc
    return parts.scheme, parts.hostname.lower().rstrip("."), port


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused(f"The host {host} does not resolve.") from exc
    return list(dict.fromkeys(info[4][0] for info in infos))


def check(url: str, allow_private: bool, must_resolve: bool = True) -> Target | None:
    """The target to connect to, after refusing forbidden hosts and addresses.

    With ``must_resolve=False`` (saving a webhook) a host that does not resolve
    yet is accepted and None is returned; it is checked again at send time.
    """
    scheme, host, port = parse(url)
    if host in METADATA_HOSTS and not allow_private:
        raise TargetRefused("Cloud metadata services are not allowed as webhook targets.")
    try:
        addresses = resolve(host, port)
    except TargetRefused:
        if must_resolve:
            raise
        return None
    if not allow_private:
        for address in addresses:
            if _forbidden(ipaddress.ip_address(address.split("%")[0])):
                raise TargetRefused(
                    f"{host} resolves to {address}, a private, loopback, link-local, multicast "
                    "or metadata address; webhooks may only target public addresses."
                )
    return Target(scheme, host, port, addresses[0])
