"""Which accounts are locked now, as the panel's user list reads it, in the database and Redis."""

from __future__ import annotations

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
