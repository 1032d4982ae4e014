"""Per-recipient caps on security mail (issue 11.3): whatever the IP or key, one inbox gets
at most three reset (or verification) mails an hour, counted in Redis or in the database."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from authsvc.extensions import db
from authsvc.mail.delivery import deliver_due
from authsvc.mail.models import MailMessage, MailRequest
from authsvc.tenancy import tenant_context
from tests.auth.conftest import PASSWORD
from tests.conftest import ApiClient, make_app, unique


@pytest.fixture(params=["database", "redis"])
def store_app(request, app, database_url, tmp_path):
    """The app counting in the database, or an app on the same database counting in Redis."""
    if request.param == "database":
        yield app
        return
    redis_app = make_app(database_url, tmp_path, REDIS_URL=request.getfixturevalue("redis_url"))
    with redis_app.app_context():
        upgrade()
    yield redis_app
    make_app(database_url, tmp_path)  # the limiter is process-wide: back to memory storage


def _outbox(app, tenant, recipient: str) -> list[str]:
    with app.app_context(), tenant_context(tenant[0]):
        statement = sa.select(MailMessage.template).where(MailMessage.recipient == recipient)
        return list(db.session.execute(statement).scalars())


def _requests_left(app, tenant) -> int:
    with app.app_context(), tenant_context(tenant[0]):
        return db.session.execute(sa.select(sa.func.count()).select_from(MailRequest)).scalar()


def _server_side_client(store_app, make_tenant, make_key):
    tenant = make_tenant()
    return tenant, ApiClient(store_app.test_client(), make_key(tenant), *tenant)


def test_do_24_forgot_password_requests_from_rotating_ips_queue_at_most_3_mails(
    store_app, make_tenant, make_key
):
    tenant, client = _server_side_client(store_app, make_tenant, make_key)
    email = f"{unique('target')}@example.com"
    created = client.post("/users", json={"email": email, "password": PASSWORD})
    assert created.status_code == 201
    for n in range(24):
        response = client.post(
            "/auth/forgot-password",
            json={"email": email},
            headers={"X-End-User-IP": f"198.51.100.{n + 1}"},
        )
        assert response.status_code == 202 and response.json == {"status": "accepted"}
    deliver_due(store_app)
    assert _outbox(store_app, tenant, email) == ["password_reset"] * 3
    assert _requests_left(store_app, tenant) == 0, "every request was composed or dropped"


def test_are_verification_mails_capped_by_the_same_count_including_the_sign_up_mail(
    store_app, make_tenant, make_key
):
    tenant, client = _server_side_client(store_app, make_tenant, make_key)
    email = f"{unique('new')}@example.com"
    signup = client.post("/auth/register", json={"email": email, "password": PASSWORD})
    assert signup.status_code == 201
    for n in range(6):
        response = client.post(
            "/auth/resend-verification",
            json={"email": email},
            headers={"X-End-User-IP": f"203.0.113.{n + 1}"},
        )
        assert response.status_code == 202
    deliver_due(store_app)
    # One at sign-up and two resends: three in the hour.
    assert _outbox(store_app, tenant, email) == ["verify_email"] * 3


def test_does_one_kinds_cap_leave_another_kinds_mail_alone(store_app, make_tenant, make_key):
    tenant, client = _server_side_client(store_app, make_tenant, make_key)
    email = f"{unique('both')}@example.com"
    client.post("/auth/register", json={"email": email, "password": PASSWORD})
    for _ in range(4):
        client.post("/auth/resend-verification", json={"email": email})
    client.post("/auth/forgot-password", json={"email": email})
    deliver_due(store_app)
    assert sorted(_outbox(store_app, tenant, email)) == ["password_reset"] + ["verify_email"] * 3
