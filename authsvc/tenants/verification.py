"""Proof that a tenant controls a domain: a DNS TXT record or an HTTP token.

The tenant publishes its domain's random token either as the TXT record
``_authsvc-challenge.<domain>`` or as the body of
``http://<domain>/.well-known/authsvc-domain-verification/<token>``; either
one proves control of the name. The token is not a secret (it is meant to be
published); it only ties the proof to this tenant's claim.

Both checks ask the same resolver (dnspython; ``DOMAINS_DNS_NAMESERVERS`` or
the system's) and give up after ``DOMAINS_VERIFY_TIMEOUT_SECONDS``. The HTTP
check is a request to a name the tenant chose, made from inside our network,
so it goes through the webhooks' SSRF guard
(:func:`authsvc.webhooks.targets.check`): no private, loopback, link-local or
metadata addresses (``DOMAINS_ALLOW_PRIVATE_TARGETS`` lifts that, for tests
and development only), no redirects, no proxy from the environment, at most
1 KiB of the answer read, and the connection goes to the address that was
checked.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

import dns.exception
import dns.nameserver
import dns.resolver
import httpx
from flask import current_app

from authsvc.webhooks import targets

DNS_PREFIX = "_authsvc-challenge"
HTTP_PATH = "/.well-known/authsvc-domain-verification/"
MAX_BODY = 1024


@dataclass
class Found:
    """The outcome of the checks: the method that found the token, or why none did."""

    method: str | None = None
    failures: dict[str, list[str]] = field(default_factory=dict)


def instructions(domain: str, token: str) -> dict:
    """What the tenant publishes to verify ``domain`` (either one suffices)."""
    return {
        "dns": {"type": "TXT", "name": f"{DNS_PREFIX}.{domain}", "value": token},
        "http": {"url": f"http://{domain}{HTTP_PATH}{token}", "body": token},
    }


def _nameserver(value: str) -> dns.nameserver.Do53Nameserver:
    """``host``, ``host:port``, ``ipv6`` or ``[ipv6]:port``."""
    if value.startswith("["):
        host, _, port = value[1:].partition("]")
        port = port.removeprefix(":")
    elif value.count(":") == 1:
        host, _, port = value.partition(":")
    else:
        host, port = value, ""
    return dns.nameserver.Do53Nameserver(host, int(port or 53))


def _resolver() -> dns.resolver.Resolver:
    config = current_app.config
    servers = list(config["DOMAINS_DNS_NAMESERVERS"])
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [_nameserver(server) for server in servers]
    resolver.lifetime = resolver.timeout = config["DOMAINS_VERIFY_TIMEOUT_SECONDS"]
    return resolver


def _same(published: str, token: str) -> bool:
    return hmac.compare_digest(published.strip().encode(), token.encode())


def check_dns(resolver: dns.resolver.Resolver, domain: str, token: str) -> str | None:
    """None when the TXT record carries ``token``, else what was found instead."""
    name = f"{DNS_PREFIX}.{domain}"
    try:
        answer = resolver.resolve(name, "TXT")
    except dns.exception.DNSException as exc:
        return f"No TXT record {name} ({type(exc).__name__})."
    for record in answer:
        value = b"".join(record.strings).decode("ascii", errors="replace")
        if _same(value, token):
            return None
    return f"The TXT record {name} does not hold the token."


def _addresses(resolver: dns.resolver.Resolver, domain: str) -> list[str]:
    found: list[str] = []
    for kind in ("A", "AAAA"):
        try:
            found += [record.address for record in resolver.resolve(domain, kind)]
        except dns.exception.DNSException:
            continue
    return found


def check_http(resolver: dns.resolver.Resolver, domain: str, token: str) -> str | None:
    """None when the token URL answers 200 with ``token`` as its body, else why not."""
    config = current_app.config
    port = config["DOMAINS_HTTP_VERIFICATION_PORT"]
    addresses = _addresses(resolver, domain)
    if not addresses:
        return f"{domain} does not resolve."
    hosts = [f"[{address}]" if ":" in address else address for address in addresses]
    try:
        for host in hosts:
            targets.check(f"http://{host}:{port}/", config["DOMAINS_ALLOW_PRIVATE_TARGETS"])
    except targets.TargetRefused:
        return f"{domain} resolves to a private or reserved address; it cannot be checked."
    timeout = config["DOMAINS_VERIFY_TIMEOUT_SECONDS"]
    url = f"http://{hosts[0]}:{port}{HTTP_PATH}{token}"
    headers = {"Host": domain if port == 80 else f"{domain}:{port}"}
    client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
    try:
        with client, client.stream("GET", url, headers=headers) as response:
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BODY:
                    break
    except httpx.HTTPError as exc:
        return f"http://{domain}{HTTP_PATH}… could not be fetched ({type(exc).__name__})."
    if response.status_code != 200:
        return f"http://{domain}{HTTP_PATH}… answered {response.status_code}, not 200."
    if not _same(body[:MAX_BODY].decode("ascii", errors="replace"), token):
        return f"http://{domain}{HTTP_PATH}… does not answer with the token."
    return None


def check(domain: str, token: str) -> Found:
    """Try the DNS record, then the HTTP token."""
    resolver = _resolver()
    found = Found()
    for method, checker in (("dns", check_dns), ("http", check_http)):
        problem = checker(resolver, domain, token)
        if problem is None:
            found.method = method
            return found
        found.failures[method] = [problem]
    return found
