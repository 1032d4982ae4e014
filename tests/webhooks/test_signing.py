"""Signatures verify with the off-the-shelf ``standardwebhooks`` package, also while rotating."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from standardwebhooks import Webhook, WebhookVerificationError

from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from authsvc.webhooks.models import WebhookEndpoint
from tests.webhooks.conftest import create_webhook


def _deliver_one(hooks, receiver, drain, name, email):
    hooks.post("/users", json={"email": email})
    drain()
    return receiver.at(name)[-1]


def test_secret_is_shown_once_and_stored_sealed(app, hooks, receiver, tenant):
    hook = create_webhook(hooks, receiver.url("s"))
    assert hook["secret"].startswith("whsec_")
    assert "secret" not in hooks.get(f"/webhooks/{hook['id']}").json
    assert all("secret" not in row for row in hooks.get("/webhooks").json["items"])
    with app.app_context(), tenant_context(tenant[0]):
        row = db.session.execute(sa.select(WebhookEndpoint)).scalar_one()
        assert hook["secret"] not in row.secret_sealed
        assert hook["secret"][6:] not in row.secret_sealed


def test_during_rotation_both_secrets_verify_and_after_the_grace_only_the_new_one(
    hooks, receiver, drain, webhook_config
):
    hook = create_webhook(hooks, receiver.url("rot"))
    old = Webhook(hook["secret"])
    rotated = hooks.post(f"/webhooks/{hook['id']}/rotate-secret")
    assert rotated.status_code == 200
    new_secret = rotated.json["secret"]
    assert new_secret != hook["secret"] and rotated.json["previous_secret_expires_at"]
    got = _deliver_one(hooks, receiver, drain, "rot", "r1@example.com")
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert old.verify(got.body, got.headers)["type"] == "user.created"
    assert Webhook(new_secret).verify(got.body, got.headers)["type"] == "user.created"

    # Rotate again with no grace: only the newest secret signs from now on.
    webhook_config(WEBHOOKS_SECRET_GRACE_SECONDS=0)
    newest = hooks.post(f"/webhooks/{hook['id']}/rotate-secret").json["secret"]
    got = _deliver_one(hooks, receiver, drain, "rot", "r2@example.com")
    assert len(got.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(newest).verify(got.body, got.headers)
    for stale in (old, Webhook(new_secret)):
        with pytest.raises(WebhookVerificationError):
            stale.verify(got.body, got.headers)


def test_a_tampered_body_does_not_verify(hooks, receiver, drain):
    hook = create_webhook(hooks, receiver.url("t"))
    got = _deliver_one(hooks, receiver, drain, "t", "t@example.com")
    with pytest.raises(WebhookVerificationError):
        Webhook(hook["secret"]).verify(got.body.replace(b"t@example", b"x@example"), got.headers)
