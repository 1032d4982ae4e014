"""Admin sign-in lockout: failed attempts per email, counted where every process sees them.

Admins are locked like end users: the counting rules are the end-user
throttle's (:func:`authsvc.auth.throttle.next_counters`) under the platform's
default :class:`~authsvc.auth.tenant_policy.AuthPolicy` — ``lockout_threshold``
failures lock the account for a time that doubles with each lockout, and
counters are forgotten ``lockout_reset_seconds`` after the first failure. That
throttle's store is tenant-scoped and admins belong to no tenant, so their
counters have their own: Redis when configured, else the
``admin_login_throttles`` table — shared by every worker and replica either way.

Counters are keyed by the normalised email (:func:`normalize_email`), whether
or not an admin has it, so a lock says nothing about which emails have
accounts, and ``Admin@x``, ``admin@x`` and ``admin@x\\n`` are one account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from authsvc.admins.models import AdminLoginThrottle
from authsvc.auth.tenant_policy import AuthPolicy
from authsvc.auth.throttle import next_counters
from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.kv import redis_or_database
from authsvc.users.emails import login_key

POLICY = AuthPolicy()
_INSERT = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def normalize_email(email: str) -> str:
    """The one form of an email that lookups and counters use: the users' own email key
    (:func:`authsvc.users.emails.login_key`: NFKC, case-folded, IDNA domain)."""
    return login_key(email)


def _subject(email: str) -> str:
    return f"admin:{normalize_email(email)}"[:300]


def _redis_key(subject: str) -> str:
    return f"authsvc:admin-throttle:{subject}"


@dataclass(frozen=True)
class _Counters:
    """A subject's counters as :func:`next_counters` reads them."""

    failures: int = 0
    lockouts: int = 0
    locked_until: datetime | None = None
    first_failure_at: datetime | None = None


def _from_redis(values: dict[bytes, bytes]) -> _Counters:
    def when(name: bytes) -> datetime | None:
        raw = values.get(name)
        return datetime.fromtimestamp(float(raw), UTC) if raw else None

    return _Counters(
        int(values.get(b"failures", 0)),
        int(values.get(b"lockouts", 0)),
        when(b"locked_until"),
        when(b"first_failure_at"),
    )


def locked_for(email: str) -> int:
    """Seconds until ``email`` may try to sign in again; 0 when it is not locked."""
    subject, now = _subject(email), utcnow()
    until = redis_or_database(
        lambda client: _from_redis(client.hgetall(_redis_key(subject))).locked_until,
        lambda: db.session.execute(
            sa.select(AdminLoginThrottle.locked_until).where(AdminLoginThrottle.subject == subject)
        ).scalar_one_or_none(),
    )
    if until is None or until <= now:
        return 0
    return int((until - now).total_seconds()) + 1


def count_failure(email: str) -> bool:
    """Count a failed sign-in of ``email``; True if it locked the account.

    Redis counts at once; in the database the caller's commit writes the count
    (with the failure's audit rows).
    """
    subject = _subject(email)
    return redis_or_database(lambda client: _fail_redis(client, subject), lambda: _fail_db(subject))


def _fail_redis(client, subject: str) -> bool:
    key = _redis_key(subject)

    def count(pipe) -> bool:
        # WATCHed: if another process counts in between, redis-py runs this again.
        now = utcnow()
        counters, locked = next_counters(_from_redis(pipe.hgetall(key)), subject, POLICY, now)
        values = {k: v.timestamp() if isinstance(v, datetime) else v for k, v in counters.items()}
        until = counters["locked_until"]
        lock_left = int((until - now).total_seconds()) + 1 if until else 0
        pipe.multi()
        pipe.delete(key)
        pipe.hset(key, mapping={k: v for k, v in values.items() if v is not None})
        pipe.expire(key, max(POLICY.lockout_reset_seconds, lock_left))
        return locked

    return client.transaction(count, key, value_from_callable=True)


def _fail_db(subject: str) -> bool:
    """Create the counter if absent, lock it for this transaction, compute its next values."""
    insert = _INSERT[db.session.get_bind().dialect.name](AdminLoginThrottle)
    db.session.execute(
        insert.values(subject=subject, failures=0, lockouts=0).on_conflict_do_nothing(
            index_elements=["subject"]
        )
    )
    row = db.session.execute(
        sa.select(AdminLoginThrottle)
        .where(AdminLoginThrottle.subject == subject)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    counters, locked = next_counters(row, subject, POLICY, utcnow())
    for name, value in counters.items():
        setattr(row, name, value)
    return locked


def clear(email: str) -> None:
    """Forget the failures of ``email`` (a successful sign-in); the caller commits."""
    subject = _subject(email)
    redis_or_database(
        lambda client: client.delete(_redis_key(subject)),
        lambda: db.session.execute(
            sa.delete(AdminLoginThrottle).where(AdminLoginThrottle.subject == subject)
        ),
    )
