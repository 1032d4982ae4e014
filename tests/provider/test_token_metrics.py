"""The provider's token issuance in /metrics, per tenant, application and grant type."""

from __future__ import annotations

import pytest

from tests.ops.conftest import app_with, scrape, series, value  # noqa: F401
from tests.provider.conftest import authorize, callback_params, sign_in

ISSUED = "authsvc_provider_tokens_issued_total"


@pytest.fixture
def service(register):
    """A confidential application that may use client_credentials."""
    return register(grant_types=["client_credentials"], redirect_uris=[])


def client_credentials(browser, slug: str, application: dict, secret: str | None = None):
    auth = (application["client_id"], secret or application["client_secret"])
    return browser.post(
        f"/t/{slug}/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth
    )


def test_tokens_are_counted_by_application_and_grant(
    app, client, tenant, member, register, rp, service
):
    before = scrape(app.test_client())
    assert client_credentials(client, tenant[1], service).status_code == 200
    application = register(first_party=True)
    relying_party = rp(application)
    sign_in(client, tenant[1], member["email"])
    page, _state, verifier = authorize(client, relying_party, tenant[1])
    token = relying_party.fetch_token(
        f"/t/{tenant[1]}/oauth2/token", code=callback_params(page)["code"], code_verifier=verifier
    )
    relying_party.refresh_token(
        f"/t/{tenant[1]}/oauth2/token", refresh_token=token["refresh_token"]
    )
    after = scrape(app.test_client())
    for client_id, grant in (
        (service["client_id"], "client_credentials"),
        (application["client_id"], "authorization_code"),
        (application["client_id"], "refresh_token"),
    ):
        labels = {"tenant": tenant[1], "client": client_id, "grant": grant}
        assert value(after, ISSUED, **labels) == value(before, ISSUED, **labels) + 1


def test_refused_requests_add_no_series(app, client, tenant, other_tenant, service, register):
    """A wrong secret, an unknown client id and another tenant's client are refused and
    leave no label behind: the client label only ever names the tenant's applications."""
    theirs = register()  # registered with tenant A's key: absent at tenant B's endpoints
    assert client_credentials(client, tenant[1], service, "cs_wrong").status_code == 401
    stranger = {"client_id": "attacker-chosen-label", "client_secret": "x"}
    assert client_credentials(client, tenant[1], stranger).status_code == 401
    assert client_credentials(client, other_tenant[1], theirs).status_code == 401
    clients = {labels["client"] for labels in series(scrape(app.test_client()), ISSUED)}
    assert not {"attacker-chosen-label", service["client_id"], theirs["client_id"]} & clients


def test_without_tenant_labels_the_client_label_goes_too(app_with, tenant, service):  # noqa: F811
    quiet = app_with(METRICS_TENANT_LABELS=False).test_client()
    unlabelled = {"tenant": "", "client": "", "grant": "client_credentials"}
    before = value(scrape(quiet), ISSUED, **unlabelled)
    assert client_credentials(quiet, tenant[1], service).status_code == 200
    samples = scrape(quiet)
    assert value(samples, ISSUED, **unlabelled) == before + 1
    assert service["client_id"] not in {labels["client"] for labels in series(samples, ISSUED)}
