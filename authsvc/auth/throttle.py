"""Brute-force protection: failed-login counters per account and per end-user IP.

After ``lockout_threshold`` failures an account is locked (an end-user IP,
which may be shared by many people behind one NAT, after ``IP_FACTOR`` times
as many) for a time that
doubles with each lockout (``lockout_base_seconds`` up to
``lockout_max_seconds``); counters are forgotten ``lockout_reset_seconds``
after the first failure. Locked subjects are refused *before* any password
hashing, so a lockout cannot be turned into a CPU denial of service.
Counters live in Redis when configured (shared by every replica), otherwise in
the ``login_throttles`` table, which also counts while Redis is unreachable.

A lockout flood should cost next to nothing, so each process also remembers
the locks it has seen in the ``auth.locks`` cache (:mod:`authsvc.cache`;
``AUTHSVC_AUTH_LOCK_MEMORY_SECONDS`` at most, never past the lock's end) and
refuses those subjects without asking the store. An unlock is invalidated
through the cache's one path: at once everywhere with Redis, within that
many seconds without it.

In the database a failure claims all its counters with one upsert
(``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, which creates absent
counters and row-locks them, so concurrent failures count exactly), computes
their next values here and leaves them staged in the session: the caller
commits them with the failure's events, in one transaction.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql, sqlite

from authsvc import cache
from authsvc.auth.models import LoginThrottle
from authsvc.auth.tenant_policy import AuthPolicy
from authsvc.db import new_id, utcnow
from authsvc.extensions import db
from authsvc.kv import redis_or_database
from authsvc.tenancy import TenancyViolation, current_tenant_id

IP_FACTOR = 5
LOCKS = "auth.locks"


def init_app(app: Flask) -> None:
    """Register the cache of locks this process has seen."""
    cache.register(app, LOCKS, "AUTH_LOCK_MEMORY_SECONDS", maxsize=10_000)


def _threshold(name: str, policy: AuthPolicy) -> int:
    return policy.lockout_threshold * (IP_FACTOR if name.startswith("ip:") else 1)


@dataclass(frozen=True)
class Verdict:
    locked: bool
    retry_after: int = 0
    # Subjects that have counters in the store (a successful login clears them).
    counted: frozenset[str] = field(default_factory=frozenset)


def subjects(identifier: str, user, ip: str | None) -> list[str]:
    """Counters a login attempt touches: the account (under each of its names) and the IP."""
    if user is not None:
        names = [f"acct:{user.email_normalized}"]
        if user.username_normalized:
            names.append(f"acct:{user.username_normalized}")
    else:
        names = [f"acct:{identifier.strip().lower()[:254]}"]
    if ip:
        names.append(f"ip:{ip}")
    return names


def _lock_seconds(policy: AuthPolicy, lockouts: int) -> int:
    return min(policy.lockout_base_seconds * 2 ** max(lockouts - 1, 0), policy.lockout_max_seconds)


def _redis_key(subject: str) -> str:
    return f"authsvc:throttle:{current_tenant_id()}:{subject}"


def _locked_index() -> str:
    """The bound tenant's locked accounts in Redis: a sorted set scored by lock end."""
    return f"authsvc:throttle-locked:{current_tenant_id()}"


def remembered(names: list[str]) -> Verdict:
    """Is any of these subjects locked, by what this process saw lately? No I/O."""
    locks, now = cache.caches[LOCKS], time.time()
    until = max((locks.get(_redis_key(name), 0.0) for name in names), default=0.0)
    if until > now:
        return Verdict(True, int(until - now) + 1)
    return Verdict(False)


def _remember(locks: dict[str, float]) -> None:
    seen = cache.caches[LOCKS]
    for name, until in locks.items():
        seen.set(_redis_key(name), until)


def check(names: list[str]) -> Verdict:
    """Is any of these subjects locked now? Cheap: no hashing, one round trip."""
    now = time.time()
    counted, locks = redis_or_database(
        lambda client: _read_redis(client, names), lambda: _read_db(names)
    )
    locks = {name: until for name, until in locks.items() if until > now}
    if locks:
        _remember(locks)
        return Verdict(True, int(max(locks.values()) - now) + 1, counted)
    return Verdict(False, counted=counted)


def _read_redis(client, names: list[str]) -> tuple[frozenset[str], dict[str, float]]:
    pipe = client.pipeline()
    for name in names:
        pipe.hmget(_redis_key(name), "locked_until", "failures")
    found = dict(zip(names, pipe.execute(), strict=True))
    counted = frozenset(name for name, values in found.items() if any(values))
    return counted, {name: float(values[0]) for name, values in found.items() if values[0]}


def _read_db(names: list[str]) -> tuple[frozenset[str], dict[str, float]]:
    rows = db.session.execute(
        sa.select(LoginThrottle.subject, LoginThrottle.locked_until).where(
            LoginThrottle.subject.in_(names)
        )
    ).all()
    counted = frozenset(row.subject for row in rows)
    return counted, {row.subject: row.locked_until.timestamp() for row in rows if row.locked_until}


def record_failure(names: list[str], policy: AuthPolicy) -> list[str]:
    """Count a failure of each subject; returns the subjects that became locked.

    Redis counts at once; the database claims the counters now and leaves their
    new values staged in the session, for the caller to commit (with the
    failure's events).
    """
    return redis_or_database(
        lambda client: [name for name in names if _fail_redis(client, name, policy)],
        lambda: _fail_db(names, policy),
    )


def _fail_redis(client, name: str, policy: AuthPolicy) -> bool:
    key = _redis_key(name)
    pipe = client.pipeline()
    pipe.hincrby(key, "failures", 1)
    pipe.expire(key, policy.lockout_reset_seconds, nx=True)
    failures = pipe.execute()[0]
    if failures < _threshold(name, policy):
        return False
    lockouts = client.hincrby(key, "lockouts", 1)
    now = time.time()
    until = now + _lock_seconds(policy, lockouts)
    pipe = client.pipeline()
    pipe.hset(key, mapping={"failures": 0, "locked_until": until})
    pipe.expire(key, max(policy.lockout_reset_seconds, int(until - now) + 1))
    if name.startswith("acct:"):
        # Indexed for the panel's user list, so listing locks never scans the keyspace.
        index = _locked_index()
        pipe.zadd(index, {name: until})
        pipe.zremrangebyscore(index, "-inf", now)
        pipe.expireat(index, int(until) + 1, gt=True)
        pipe.expireat(index, int(until) + 1, nx=True)
    pipe.execute()
    return True


def _fail_db(names: list[str], policy: AuthPolicy) -> list[str]:
    """Claim the subjects' counters in one upsert and stage their next values."""
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenancyViolation("failed-login counters with no tenant bound")
    now = utcnow()
    # One lock order for every attempt: no deadlocks between concurrent failures.
    claimed = {counter.subject: counter for counter in _claim(tenant_id, sorted(set(names)), now)}
    locked = []
    for name in dict.fromkeys(names):
        counter = claimed[name]
        counters, became_locked = next_counters(counter, name, policy, now)
        for column, value in counters.items():
            setattr(counter, column, value)
        if became_locked:
            locked.append(name)
    return locked


def _claim(tenant_id, names: list[str], now: datetime) -> list[LoginThrottle]:
    """Lock the counters of ``names``, creating absent ones at zero, and load them.

    An upsert rather than ``SELECT ... FOR UPDATE``: a plain SELECT locks only
    rows that exist, so two first failures of one subject would both INSERT and
    one would fail on the unique key. The no-op update takes the row lock.
    """
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert
    # tenant_id named here: tenancy filters ORM reads and writes and stamps flushed
    # objects, and an INSERT statement is neither. The conflict target includes it,
    # so no other tenant's counter is ever matched.
    rows = [
        {
            "tenant_id": tenant_id,
            "id": new_id(),
            "subject": name,
            "failures": 0,
            "lockouts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for name in names
    ]
    statement = (
        insert(LoginThrottle)
        .values(rows)
        .on_conflict_do_update(
            index_elements=[LoginThrottle.tenant_id, LoginThrottle.subject],
            set_={"failures": LoginThrottle.failures},
        )
        .returning(LoginThrottle)
    )
    # populate_existing: a counter already in the session takes the locked row's values.
    options = {"populate_existing": True}
    return list(db.session.scalars(statement, execution_options=options))


def next_counters(row, name: str, policy: AuthPolicy, now: datetime) -> tuple[dict, bool]:
    """A subject's counters after one more failure, and whether it became locked.

    ``row`` has the current ``failures``, ``lockouts``, ``locked_until`` and
    ``first_failure_at``. Counters start over ``lockout_reset_seconds`` after the
    first failure; reaching the threshold locks, each lock twice as long as the last.
    """
    failures, lockouts, first = row.failures, row.lockouts, row.first_failure_at
    if first is None or (now - first).total_seconds() > policy.lockout_reset_seconds:
        failures, lockouts, first = 0, 0, now
    failures += 1
    counters = {"failures": failures, "lockouts": lockouts, "first_failure_at": first}
    if failures < _threshold(name, policy):
        return {**counters, "locked_until": row.locked_until}, False
    lockouts += 1
    until = now + timedelta(seconds=_lock_seconds(policy, lockouts))
    return {**counters, "failures": 0, "lockouts": lockouts, "locked_until": until}, True


def clear(names: list[str]) -> None:
    """Forget the counters (successful login of the account, or an admin unlock)."""
    for name in names:
        cache.caches.invalidate(LOCKS, _redis_key(name))

    def through_redis(client) -> None:
        pipe = client.pipeline()
        pipe.delete(*[_redis_key(name) for name in names])
        pipe.zrem(_locked_index(), *names)
        pipe.execute()

    redis_or_database(
        through_redis,
        lambda: db.session.execute(
            sa.delete(LoginThrottle).where(LoginThrottle.subject.in_(names))
        ),
    )


def locked_accounts() -> set[str]:
    """The login keys (email or username) of the bound tenant's accounts locked now.

    Locks end within ``lockout_max_seconds``, so this set stays small; the
    panel's user list filters and marks locked users with it. In Redis it is one
    read of the tenant's index of locked accounts.
    """
    now = time.time()

    def through_redis(client) -> set[str]:
        names = client.zrangebyscore(_locked_index(), f"({now}", "+inf")
        return {_text(name).removeprefix("acct:") for name in names}

    def through_database() -> set[str]:
        rows = db.session.execute(
            sa.select(LoginThrottle.subject).where(
                LoginThrottle.subject.startswith("acct:"), LoginThrottle.locked_until > utcnow()
            )
        ).scalars()
        return {subject.removeprefix("acct:") for subject in rows}

    return redis_or_database(through_redis, through_database)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
