"""Per-recipient caps on security mail (issue 11.3): whatever the IP or key, one inbox gets
at most three reset (or verification) mails an hour, counted in Redis or in the database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.mail.delivery import deliver_due
from authsvc.mail.models import MailMessage, MailRequest
from authsvc.tenancy import tenant_context
from tests.auth.conftest import PASSWORD
from tests.conftest import ApiClient, unique


def _outbox(app, tenant, recipient: str) -> list[str]:
    with app.app_context(), tenant_context(tenant[0]):
        statement = sa.select(MailMessage.template).where(MailMessage.recipient == recipient)
        return list(db.session.execute(statement).scalars())


def _requests_left(app, tenant) -> int:
    with app.app_context(), tenant_context(tenant[0]):
        return db.session.execute(sa.select(sa.func.count()).select_from(MailRequest)).scalar()


def _ask_from_rotating_ips(client, path: str, email: str, times: int) -> None:
    """What a tenant app's server does for many end users: one request each, its own IP.

    The flow's per-account rate limit refuses some with 429 (it queues nothing either);
    more than the cap's three must be accepted, so that the cap itself is what holds.
    """
    accepted = 0
    for n in range(times):
        response = client.post(
            path, json={"email": email}, headers={"X-End-User-IP": f"198.51.100.{n + 1}"}
        )
        assert response.status_code in (202, 429), response.json
        if response.status_code == 202:
            assert response.json == {"status": "accepted"}
            accepted += 1
    assert accepted > 3


def _server_side_client(store_app, make_tenant, make_key):
    tenant = make_tenant()
    return tenant, ApiClient(store_app.test_client(), make_key(tenant), *tenant)


@pytest.mark.parametrize(
    ("path", "template", "times"),
    [
        ("/auth/forgot-password", "password_reset", 24),
        # The sign-up's own verification mail counts: it and two resends make three.
        ("/auth/resend-verification", "verify_email", 6),
    ],
)
def test_do_requests_from_rotating_ips_queue_at_most_3_mails_for_one_recipient(
    store_app, make_tenant, make_key, path, template, times
):
    tenant, client = _server_side_client(store_app, make_tenant, make_key)
    email = f"{unique('target')}@example.com"
    signup = client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert signup.status_code == 201
    _ask_from_rotating_ips(client, path, email, times)
    deliver_due(store_app)
    assert [t for t in _outbox(store_app, tenant, email) if t == template] == [template] * 3
    assert _requests_left(store_app, tenant) == 0, "every request was composed or dropped"


def test_does_one_kinds_cap_leave_another_kinds_mail_alone(store_app, make_tenant, make_key):
    tenant, client = _server_side_client(store_app, make_tenant, make_key)
    email = f"{unique('both')}@example.com"
    client.post("/auth/register", json={"email": email, "password": PASSWORD})
    for _ in range(4):
        client.post("/auth/resend-verification", json={"email": email})
    client.post("/auth/forgot-password", json={"email": email})
    deliver_due(store_app)
    assert sorted(_outbox(store_app, tenant, email)) == ["password_reset"] + ["verify_email"] * 3
