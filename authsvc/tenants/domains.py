"""Tenants' custom domains: which names may be claimed, claiming them, proving ownership.

Rationale: a custom domain takes over the hosted pages of whatever host name
it names. A tenant that could claim the platform's own host turned every
other tenant's pages on it into 404s and served its own sign-in page there;
one that could claim a name it does not control could squat on a customer's
future domain. So a name is refused when it is the platform's host (or, unless
``TENANT_SUBDOMAINS_ALLOWED``, one of its subdomains), an IP address, not a
host name once IDNA-normalised (``ＡＵＴＨＳＶＣ.test`` is ``authsvc.test``), or
verified by another tenant; and an accepted name stays *pending*, routing
nothing, until the tenant proves it controls it with a DNS TXT record or an
HTTP token (:mod:`authsvc.tenants.verification`).

Domain rows are tenant-owned and scoped by :mod:`authsvc.tenancy`; the two
questions that span tenants (who verified this name, which tenant serves this
host) run in :func:`~authsvc.tenancy.platform_scope`.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

import idna
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from authsvc import events
from authsvc.db import utcnow
from authsvc.errors import Conflict, NotFound, ValidationFailed
from authsvc.extensions import db
from authsvc.tenancy import platform_scope, tenant_context
from authsvc.tenants import verification
from authsvc.tenants.models import PENDING, VERIFIED, Tenant, TenantDomain
from authsvc.tenants.urls import is_host_name

MAX_DOMAINS = 20
IN_USE = "This domain is already in use."


@dataclass(frozen=True)
class DomainState:
    """A domain as its tenant sees it: the name, its state and how to verify it."""

    domain: str
    status: str
    verified_at: datetime | None
    verification: dict | None


def normalise(name: str) -> str:
    """The ASCII (``xn--``) lower-case form of a host name; ValueError if it is none."""
    name = name.strip().rstrip(".")
    if not name or name.startswith("[") or any(ch in name for ch in "/:@\\ "):
        raise ValueError(name)
    try:
        return idna.encode(name, uts46=True).decode("ascii").lower()
    except idna.IDNAError as exc:
        raise ValueError(name) from exc


def platform_host() -> str:
    """The host of ``BASE_URL``, normalised like a domain."""
    host = urlsplit(current_app.config["BASE_URL"]).hostname or ""
    try:
        return normalise(host)
    except ValueError:
        return host.lower()


def is_platform_host(name: str) -> bool:
    """Whether ``name`` is the platform's host or, unless allowed, one of its subdomains."""
    platform = platform_host()
    if name == platform:
        return True
    allowed = current_app.config["TENANT_SUBDOMAINS_ALLOWED"]
    return name.endswith("." + platform) and not allowed


def claim_problem(raw: str) -> tuple[str | None, str | None]:
    """``(normalised name, None)`` if ``raw`` may be claimed, else ``(None, why)``."""
    try:
        ipaddress.ip_address(raw.strip().strip("[]"))
        return None, f"{raw!r} is an IP address; use a host name."
    except ValueError:
        pass
    try:
        name = normalise(raw)
    except ValueError:
        return None, f"{raw!r} is not a host name."
    # A public name has a dot and a top-level label that is not a number.
    if not is_host_name(name) or "." not in name or name.rsplit(".", 1)[1].isdigit():
        return None, f"{raw!r} is not a host name."
    if is_platform_host(name):
        return None, f"{raw!r} is the platform's own host name or one of its subdomains."
    return name, None


def _verified_elsewhere(tenant: Tenant, names: list[str]) -> set[str]:
    with platform_scope():
        rows = db.session.execute(
            sa.select(TenantDomain.domain).where(
                TenantDomain.domain.in_(names),
                TenantDomain.status == VERIFIED,
                TenantDomain.tenant_id != tenant.id,
            )
        )
        return set(rows.scalars())


def _rows(tenant: Tenant) -> list[TenantDomain]:
    with tenant_context(tenant.id):
        statement = sa.select(TenantDomain).order_by(TenantDomain.domain)
        return list(db.session.execute(statement).scalars())


def domain_names(tenant: Tenant) -> list[str]:
    """Names of ``tenant``'s domains, in any state."""
    return [row.domain for row in _rows(tenant)]


def set_domains(tenant: Tenant, raw_names: list[str]) -> None:
    """Stage ``tenant``'s domains as exactly these (the caller commits); new ones are pending.

    Raises ValidationFailed for names that may not be claimed and Conflict for a
    name another tenant verified (without saying which tenant).
    """
    wanted: list[str] = []
    problems = []
    for raw in raw_names:
        name, problem = claim_problem(raw)
        if problem:
            problems.append(problem)
        elif name not in wanted:
            wanted.append(name)
    if len(wanted) > MAX_DOMAINS:
        problems.append(f"At most {MAX_DOMAINS} domains.")
    if problems:
        raise ValidationFailed(errors={"domains": problems})
    taken = _verified_elsewhere(tenant, wanted)
    if taken:
        raise Conflict(IN_USE, errors={"domains": sorted(taken)})
    current = {row.domain: row for row in _rows(tenant)}
    with tenant_context(tenant.id):
        for name, row in current.items():
            if name not in wanted:
                db.session.delete(row)
        for name in wanted:
            if name not in current:
                token = secrets.token_urlsafe(24)
                db.session.add(TenantDomain(domain=name, status=PENDING, token=token))
        db.session.flush()


def state_of(row: TenantDomain) -> DomainState:
    pending = row.status != VERIFIED and row.token
    how = verification.instructions(row.domain, row.token) if pending else None
    return DomainState(row.domain, row.status, row.verified_at, how)


def domain_states(tenant: Tenant) -> list[DomainState]:
    """``tenant``'s domains with their state and, while pending, how to verify them."""
    return [state_of(row) for row in _rows(tenant)]


def verify_domain(tenant: Tenant, name: str, actor: str | None = None) -> DomainState:
    """Check the DNS record or HTTP token of a pending domain and mark it verified.

    Raises NotFound for a name the tenant does not have, Conflict when another
    tenant verified it first, ValidationFailed (with what each check found) when
    neither check finds the token.
    """
    try:
        name = normalise(name)
    except ValueError:
        raise NotFound("No such domain.") from None
    with tenant_context(tenant.id):
        row = db.session.execute(
            sa.select(TenantDomain).where(TenantDomain.domain == name)
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("No such domain.")
        if row.status == VERIFIED:
            return state_of(row)
        if _verified_elsewhere(tenant, [row.domain]):
            raise Conflict(IN_USE)
        found = verification.check(row.domain, row.token or "")
        if not found.method:
            raise ValidationFailed(
                f"{row.domain} could not be verified yet; it stays pending.", found.failures
            )
        row.status, row.verified_at = VERIFIED, utcnow()
        data = {"tenant_id": str(tenant.id), "changed": ["domains"]}
        events.emit("tenant.updated", data, actor)
        try:
            db.session.commit()
        except IntegrityError:  # another tenant verified it in the meantime
            db.session.rollback()
            raise Conflict(IN_USE) from None
        return state_of(row)
