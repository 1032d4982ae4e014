"""Whether each of the tenant's providers answered lately: a row per provider, noted by sign-ins.

Successes and failures are staged in the caller's transaction (a refused
sign-in notes its failure after rolling back what it had staged). A failure is
kept as words that name the kind of problem and never carry the provider's
answer, URLs' queries, tokens or secrets.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from authlib.common.errors import AuthlibBaseError
from flask import current_app
from joserfc.errors import JoseError
from requests import ConnectionError as Unreachable
from requests import HTTPError, RequestException, Timeout
from sqlalchemy.exc import IntegrityError

from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.federation.models import IdentityProvider, ProviderStatus

OK, FAILING, UNKNOWN = "ok", "failing", "unknown"


@dataclass(frozen=True)
class Reachability:
    """One provider's status as the admin sees it."""

    provider_id: uuid.UUID
    state: str
    discovery_fetched_at: datetime | None = None
    last_success_at: datetime | None = None
    last_failure_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0


def _row(provider: IdentityProvider) -> ProviderStatus:
    """The provider's status row, created on first use (a concurrent creator wins)."""
    key = {"tenant_id": provider.tenant_id, "provider_id": provider.id}
    row = db.session.get(ProviderStatus, key)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = ProviderStatus(provider_id=provider.id, consecutive_failures=0)
            db.session.add(row)
    except IntegrityError:
        row = db.session.get(ProviderStatus, key)
    return row


def note_fetched(provider: IdentityProvider) -> None:
    """The discovery document or JWKS was just fetched from the provider."""
    row = _row(provider)
    row.discovery_fetched_at = utcnow()
    _succeeded(row)


def note_success(provider: IdentityProvider) -> None:
    """A sign-in through the provider got a verified answer."""
    _succeeded(_row(provider))


def _succeeded(row: ProviderStatus) -> None:
    row.last_success_at = utcnow()
    row.consecutive_failures = 0


def note_failure(provider: IdentityProvider, error: BaseException) -> None:
    """The provider could not be reached or its answer was unusable."""
    row = _row(provider)
    row.last_failure_at = utcnow()
    row.last_error = describe(error)
    # In SQL, so that concurrent failures all count.
    row.consecutive_failures = ProviderStatus.consecutive_failures + 1


def describe(error: BaseException) -> str:
    """What went wrong, for the admin, without anything the provider sent."""
    if isinstance(error, Timeout):
        seconds = current_app.config["FEDERATION_HTTP_TIMEOUT_SECONDS"]
        return f"The provider did not answer within {seconds} seconds."
    if isinstance(error, Unreachable):
        return "The provider could not be reached (connection refused or unknown host)."
    if isinstance(error, HTTPError) and error.response is not None:
        path = error.response.request.path_url.split("?", 1)[0] if error.response.request else ""
        return f"The provider answered HTTP {error.response.status_code} for {path}."
    if isinstance(error, ValueError):  # requests' JSONDecodeError included
        return "The provider's answer was not the JSON document expected."
    if isinstance(error, JoseError):
        return f"The provider's ID token could not be verified ({type(error).__name__})."
    if isinstance(error, AuthlibBaseError | RequestException):
        return f"The provider's answer was refused ({type(error).__name__})."
    return f"The sign-in through the provider failed ({type(error).__name__})."


def reachability() -> list[Reachability]:
    """Every provider of the tenant with its status, oldest provider first."""
    statement = (
        sa.select(IdentityProvider.id, ProviderStatus)
        .outerjoin(ProviderStatus, ProviderStatus.provider_id == IdentityProvider.id)
        .order_by(IdentityProvider.id)
    )
    return [_shaped(provider_id, row) for provider_id, row in db.session.execute(statement)]


def _shaped(provider_id: uuid.UUID, row: ProviderStatus | None) -> Reachability:
    if row is None or (row.last_success_at is None and row.last_failure_at is None):
        return Reachability(provider_id, UNKNOWN)
    state = FAILING if row.consecutive_failures else OK
    return Reachability(
        provider_id,
        state,
        row.discovery_fetched_at,
        row.last_success_at,
        row.last_failure_at,
        row.last_error,
        row.consecutive_failures,
    )
