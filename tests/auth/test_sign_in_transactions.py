"""Sign-in and refresh writes: each flow's rows and its events commit together, or not at all."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from authsvc import events
from authsvc.auth.models import LoginThrottle
from authsvc.events import Event
from authsvc.extensions import db
from authsvc.sessions.models import RefreshToken, Session
from authsvc.tenancy import tenant_context
from authsvc.users.models import User
from tests.auth.conftest import TenantApp
from tests.conftest import ApiClient, make_app


@pytest.fixture
def tenant_and_key(make_tenant, make_key) -> tuple:
    tenant = make_tenant(settings={"auth": {"lockout_threshold": 3}})
    return tenant, make_key(tenant)


def _tenant_app(flask_app, tenant_and_key) -> TenantApp:
    """The tenant app's calls, served by ``flask_app``."""
    tenant, key = tenant_and_key
    return TenantApp(ApiClient(flask_app.test_client(), key, *tenant), tenant)


@pytest.fixture
def failing_events_app(app, database_url, tmp_path):
    """The app as configured for the other tests, plus an events subscriber that fails:
    whatever a flow staged before its events must roll back with them."""
    failing = make_app(database_url, tmp_path)

    def broken(_event: Event) -> None:
        raise RuntimeError("the event's write failed")

    events.subscribe(failing, broken)
    yield failing
    with failing.app_context():
        db.engine.dispose()


def _rows(flask_app, tenant_id, model, *where) -> list:
    with flask_app.app_context(), tenant_context(tenant_id):
        return list(db.session.execute(sa.select(model).where(*where)).scalars())


def test_a_failed_sign_in_commits_its_counters_with_its_events(app, tenant_and_key):
    tenant_app = _tenant_app(app, tenant_and_key)
    tenant_app.signup("counted@example.com")
    for _ in range(3):
        refused = tenant_app.login("counted@example.com", "wrong password!")
        assert refused.status_code == 401
    counters = _rows(app, tenant_app.tenant_id, LoginThrottle)
    account = next(c for c in counters if c.subject == "acct:counted@example.com")
    assert (account.lockouts, account.locked_until is not None) == (1, True)
    audit = tenant_app.client.get("/audit", query_string={"action": "user.login_failed"}).json
    assert len(audit["items"]) == 3
    locked = tenant_app.client.get("/audit", query_string={"action": "user.locked"}).json
    assert len(locked["items"]) == 1, "the third failure locked the account"


def test_a_failed_sign_in_whose_events_fail_leaves_no_counter(
    app, failing_events_app, tenant_and_key
):
    tenant_app = _tenant_app(app, tenant_and_key)
    tenant_app.signup("target@example.com")
    failing = _tenant_app(failing_events_app, tenant_and_key)
    assert failing.login("target@example.com", "wrong password!").status_code == 500
    assert _rows(app, tenant_app.tenant_id, LoginThrottle) == []
    assert _rows(app, tenant_app.tenant_id, Event, Event.type == "user.login_failed") == []


def test_a_sign_in_whose_events_fail_leaves_no_session_token_or_login_time(
    app, failing_events_app, tenant_and_key
):
    tenant_app = _tenant_app(app, tenant_and_key)
    user = tenant_app.signup("whole@example.com")
    failing = _tenant_app(failing_events_app, tenant_and_key)
    assert failing.login("whole@example.com").status_code == 500
    tenant_id = tenant_app.tenant_id
    assert _rows(app, tenant_id, Session) == []
    assert _rows(app, tenant_id, RefreshToken) == []
    (stored,) = _rows(app, tenant_id, User)
    assert stored.last_login_at is None
    assert _rows(app, tenant_id, Event, Event.type.in_(["session.created", "user.login"])) == []
    # The same sign-in through the ordinary app writes all of it.
    assert tenant_app.login("whole@example.com").status_code == 200
    (session,) = _rows(app, tenant_id, Session)
    assert str(session.user_id) == user["id"]
    assert len(_rows(app, tenant_id, RefreshToken)) == 1
    assert _rows(app, tenant_id, User)[0].last_login_at is not None


def test_two_refreshes_racing_with_one_token_spend_it_once_and_end_the_session(app, tenant_and_key):
    """One wins; the other finds the token spent, a reuse, and revokes the session."""
    tenant_app = _tenant_app(app, tenant_and_key)
    tenant_app.signup("race@example.com")
    pair = tenant_app.tokens("race@example.com")
    answers: list = []
    start = threading.Barrier(2)

    def refresh() -> None:
        client = _tenant_app(app, tenant_and_key).client
        start.wait(30)
        response = client.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]})
        answers.append((response.status_code, response.json))

    threads = [threading.Thread(target=refresh) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _body in answers) == [200, 401]
    winner = next(body for status, body in answers if status == 200)
    loser = next(body for status, body in answers if status == 401)
    assert "already used" in loser["detail"]
    again = tenant_app.client.post("/auth/refresh", json={"refresh_token": winner["refresh_token"]})
    assert again.status_code == 401
    (session,) = _rows(app, tenant_app.tenant_id, Session)
    assert session.revoked_reason == "refresh_token_reuse"
