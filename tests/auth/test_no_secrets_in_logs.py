"""No password, token or key appears in any log line while the flows run."""

from __future__ import annotations

import logging

from authsvc.logs import FORMATS, RequestContext, formatter
from tests.auth.conftest import PASSWORD, link_token
from tests.fixtures.mailbox import drain_mail


def test_a_full_flow_logs_no_secret(app, tenant_app, inbox, caplog):
    """In either log format, with every request field the JSON format adds."""
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RequestContext())
    tenant_app.signup("quiet@example.com")
    pair = tenant_app.tokens("quiet@example.com")
    refreshed = tenant_app.client.post(
        "/auth/refresh", json={"refresh_token": pair["refresh_token"]}
    ).json
    tenant_app.client.post("/auth/forgot-password", json={"email": "quiet@example.com"})
    drain_mail(app)
    reset_token = link_token(inbox.to("quiet@example.com")[-1], "reset")
    tenant_app.client.get(f"/api/v1/users?token={reset_token}")
    secrets = [
        PASSWORD,
        pair["access_token"],
        pair["refresh_token"],
        refreshed["refresh_token"],
        reset_token,
        tenant_app.client.key,
        tenant_app.client.key.split("_", 2)[2],
    ]
    # aiosmtpd (logger "mail.log") is the test's receiving server, not part of authsvc.
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    text = "\n".join(record.getMessage() for record in ours)
    text += "\n".join(formatter(kind).format(record) for record in ours for kind in FORMATS)
    assert "POST /api/v1/auth/login" in text  # the requests were logged...
    for secret in secrets:
        assert secret not in text  # ...but never their secrets
