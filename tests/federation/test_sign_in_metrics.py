"""Federated sign-ins are counted in /metrics by tenant and outcome, like password ones."""

from __future__ import annotations

from tests.conftest import unique
from tests.federation.conftest import start_sign_in
from tests.ops.conftest import scrape, value


def test_a_federated_success_and_a_tampered_callback_are_counted(app, tenant, oidc_provider):
    browser = app.test_client()
    done = browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], unique("ann")))
    assert done.status_code == 303, done.text
    other = app.test_client()
    callback = start_sign_in(other, tenant[1], oidc_provider["id"], unique("eve"))
    assert other.get(callback.replace("state=", "state=x", 1)).status_code == 400
    samples = scrape(app.test_client())
    name, labels = "authsvc_sign_ins_total", {"tenant": tenant[1], "method": "federation"}
    assert value(samples, name, **labels, outcome="success") == 1
    assert value(samples, name, **labels, outcome="refused") == 1
