"""Failed-login counters in the database: the rules, per tenant, exact under concurrency
(on SQLite and on PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from authsvc.auth import throttle
from authsvc.auth.models import LoginThrottle
from authsvc.auth.tenant_policy import AuthPolicy
from authsvc.db import utcnow
from authsvc.extensions import db
from authsvc.tenancy import tenant_context

POLICY = AuthPolicy(lockout_threshold=3, lockout_base_seconds=60, lockout_max_seconds=100)


def _fresh(**values):
    row = {"failures": 0, "lockouts": 0, "locked_until": None, "first_failure_at": None}
    return SimpleNamespace(**{**row, **values})


def test_the_threshold_locks_and_each_lock_lasts_twice_as_long_up_to_the_max():
    now = utcnow()
    row, locks = _fresh(), []
    for _ in range(9):
        counters, locked = throttle.next_counters(row, "acct:a@example.com", POLICY, now)
        row = _fresh(**counters)
        if locked:
            locks.append((row.locked_until - now).total_seconds())
    assert locks == [60, 100, 100]
    assert (row.failures, row.lockouts, row.first_failure_at) == (0, 3, now)


def test_an_ip_locks_at_five_times_the_threshold():
    now, row = utcnow(), _fresh()
    results = []
    for _ in range(15):
        counters, locked = throttle.next_counters(row, "ip:198.51.100.7", POLICY, now)
        row = _fresh(**counters)
        results.append(locked)
    assert results == [False] * 14 + [True]


def test_counters_start_over_after_the_reset_window_and_keep_an_old_lock_end():
    now = utcnow()
    old_lock = now - timedelta(hours=1)
    first = now - timedelta(seconds=POLICY.lockout_reset_seconds + 1)
    row = _fresh(failures=2, lockouts=2, locked_until=old_lock, first_failure_at=first)
    counters, locked = throttle.next_counters(row, "acct:a@example.com", POLICY, now)
    assert not locked
    assert counters == {
        "failures": 1,
        "lockouts": 0,
        "first_failure_at": now,
        "locked_until": old_lock,
    }


def _counters(app, tenant_id) -> dict[str, tuple]:
    with app.app_context(), tenant_context(tenant_id):
        rows = db.session.execute(sa.select(LoginThrottle)).scalars()
        return {r.subject: (r.failures, r.lockouts, r.locked_until is not None) for r in rows}


def _fail(app, tenant_id, names, policy=POLICY) -> list[str]:
    with app.app_context(), tenant_context(tenant_id):
        locked = throttle.record_failure(names, policy)
        db.session.commit()
        return locked


def test_each_subject_counts_and_the_account_locks_first(app, tenant):
    tenant_id, _ = tenant
    names = ["ip:198.51.100.7", "acct:a@example.com", "acct:alice"]
    assert [_fail(app, tenant_id, names) for _ in range(3)] == [
        [],
        [],
        ["acct:a@example.com", "acct:alice"],
    ]
    assert _counters(app, tenant_id) == {
        "acct:a@example.com": (0, 1, True),
        "acct:alice": (0, 1, True),
        "ip:198.51.100.7": (3, 0, False),
    }


def test_counters_in_the_database_reset_after_the_window(app, tenant):
    tenant_id, _ = tenant
    for _ in range(2):
        _fail(app, tenant_id, ["acct:a@example.com"])
    with app.app_context(), tenant_context(tenant_id):
        past = utcnow() - timedelta(seconds=POLICY.lockout_reset_seconds + 5)
        db.session.execute(sa.update(LoginThrottle).values(first_failure_at=past))
        db.session.commit()
    assert _fail(app, tenant_id, ["acct:a@example.com"]) == []
    assert _counters(app, tenant_id) == {"acct:a@example.com": (1, 0, False)}


def test_counters_belong_to_their_tenant(app, tenant, other_tenant):
    _fail(app, tenant[0], ["acct:a@example.com"])
    _fail(app, other_tenant[0], ["acct:a@example.com"])
    assert _counters(app, tenant[0]) == {"acct:a@example.com": (1, 0, False)}
    assert _counters(app, other_tenant[0]) == {"acct:a@example.com": (1, 0, False)}


def test_a_first_failure_racing_another_counts_both(app, tenant):
    """Both attempts find no counter; the second waits for the first's lock, then counts on."""
    tenant_id, _ = tenant
    subject = ["acct:race@example.com"]
    errors: list[BaseException] = []

    def second() -> None:
        try:
            _fail(app, tenant_id, subject)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    with app.app_context(), tenant_context(tenant_id):
        throttle.record_failure(subject, POLICY)  # creates and locks the row
        other = threading.Thread(target=second)
        other.start()
        db.session.commit()
    other.join(30)
    assert errors == []
    assert _counters(app, tenant_id) == {"acct:race@example.com": (2, 0, False)}


def test_concurrent_failures_are_all_counted(app, tenant):
    tenant_id, _ = tenant
    names = ["acct:busy@example.com", "ip:198.51.100.9"]
    lenient = AuthPolicy(lockout_threshold=1000)
    errors: list[BaseException] = []

    def attempt() -> None:
        try:
            _fail(app, tenant_id, names, lenient)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert _counters(app, tenant_id) == {name: (8, 0, False) for name in names}
