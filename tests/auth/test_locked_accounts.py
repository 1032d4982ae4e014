"""Which accounts are locked now, as the panel's user list reads it, in the database and Redis."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import redis

from authsvc.auth import throttle
from authsvc.auth.tenant_policy import AuthPolicy
from authsvc.extensions import db
from authsvc.tenancy import tenant_context

POLICY = AuthPolicy(lockout_threshold=2)


def _fail(app, tenant_id, names) -> None:
    with app.app_context(), tenant_context(tenant_id):
        throttle.record_failure(names, POLICY)
        db.session.commit()


def _locked(app, tenant_id) -> set[str]:
    with app.app_context(), tenant_context(tenant_id):
        return throttle.locked_accounts()


def test_locked_accounts_are_the_tenants_locked_account_keys_only(store_app, make_tenant):
    """Counted-but-unlocked accounts, IP counters and another tenant's locks are left out."""
    (tenant_id, _), (other_id, _) = make_tenant(), make_tenant()
    for _ in range(2):
        _fail(store_app, tenant_id, ["acct:ada@example.com", "acct:ada", "ip:198.51.100.9"])
        _fail(store_app, other_id, ["acct:eve@example.com"])
    _fail(store_app, tenant_id, ["acct:bob@example.com"])  # one failure: not locked
    assert _locked(store_app, tenant_id) == {"ada@example.com", "ada"}
    assert _locked(store_app, other_id) == {"eve@example.com"}
    with store_app.app_context(), tenant_context(tenant_id):
        throttle.clear(["acct:ada@example.com", "acct:ada"])
        db.session.commit()
    assert _locked(store_app, tenant_id) == set()


def test_an_ended_lock_leaves_the_list(store_app, make_tenant, monkeypatch):
    (tenant_id, _) = make_tenant()
    for _ in range(2):
        _fail(store_app, tenant_id, ["acct:ada@example.com"])
    assert _locked(store_app, tenant_id) == {"ada@example.com"}
    later = time.time() + POLICY.lockout_max_seconds + 1
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: later))
    monkeypatch.setattr(throttle, "utcnow", lambda: datetime.fromtimestamp(later, UTC))
    assert _locked(store_app, tenant_id) == set()


@pytest.mark.parametrize("store_app", ["redis"], indirect=True)
def test_the_redis_list_reads_the_tenants_index_and_never_scans_the_keyspace(
    store_app, make_tenant
):
    """SCAN walks every key of the Redis database (sessions, limits, caches) per render."""
    client = redis.Redis.from_url(store_app.config["REDIS_URL"])
    (tenant_id, _) = make_tenant()
    for _ in range(2):
        _fail(store_app, tenant_id, ["acct:ada@example.com"])

    def scans() -> int:
        return client.info("commandstats").get("cmdstat_scan", {}).get("calls", 0)

    before = scans()
    assert _locked(store_app, tenant_id) == {"ada@example.com"}
    assert scans() == before
    index = f"authsvc:throttle-locked:{tenant_id}"
    assert 0 < client.ttl(index) <= POLICY.lockout_max_seconds + 1  # it expires with its locks
