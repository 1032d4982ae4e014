"""Provider status and the discovery/JWKS cache, against a real oidc-provider that we stop."""

from __future__ import annotations

import pytest

from authsvc.cache import caches
from authsvc.federation import discovery
from tests.conftest import unique
from tests.federation.conftest import register_oidc_provider, running_provider, start_sign_in


@pytest.fixture
def admin(api_client, tenant):
    return api_client(tenant, ["admin"])


def status_of(admin, provider_id: str) -> dict:
    rows = admin.get("/identity-providers/status").json
    return next(row for row in rows if row["provider_id"] == provider_id)


def test_is_a_provider_unknown_until_contacted_then_ok_after_a_sign_in(
    app, admin, tenant, oidc_provider
):
    before = status_of(admin, oidc_provider["id"])
    assert before["state"] == "unknown" and before["last_success_at"] is None
    browser = app.test_client()
    done = browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], unique("ok")))
    assert done.status_code == 303, done.text
    after = status_of(admin, oidc_provider["id"])
    assert after["state"] == "ok" and after["consecutive_failures"] == 0
    assert after["last_success_at"] and after["discovery_fetched_at"]
    assert after["last_error"] is None


def test_are_discovery_and_keys_served_from_the_cache_on_the_next_sign_in(
    app, admin, tenant, oidc_provider
):
    """The second sign-in fetches nothing: the documents are still fresh."""
    fetched = []
    for _attempt in range(2):
        browser = app.test_client()
        done = browser.get(start_sign_in(browser, tenant[1], oidc_provider["id"], unique("c")))
        assert done.status_code == 303, done.text
        fetched.append(status_of(admin, oidc_provider["id"])["discovery_fetched_at"])
    assert fetched[0] is not None and fetched[1] == fetched[0]


def test_does_a_stopped_provider_turn_failing_with_a_clear_message(
    app, admin, tenant, loopback_issuers
):
    with running_provider() as issuer:
        provider = register_oidc_provider(admin, issuer)
        browser = app.test_client()
        callback = start_sign_in(browser, tenant[1], provider["id"], unique("gone"))
    # The provider is gone between the user's consent and the callback.
    refused = browser.get(callback)
    assert refused.status_code == 502
    assert "could not be reached" in refused.text
    failing = status_of(admin, provider["id"])
    assert failing["state"] == "failing" and failing["consecutive_failures"] == 1
    assert failing["last_error"] == (
        "The provider could not be reached (connection refused or unknown host)."
    )
    assert issuer not in failing["last_error"]
    # Its discovery document is still fresh in the cache: a new attempt starts.
    assert browser.get(f"/t/{tenant[1]}/login/{provider['id']}").status_code == 302
    with app.app_context():
        caches[discovery.CACHE].clear()
    # Once it is stale, the start needs the provider, and fails again.
    again = browser.get(f"/t/{tenant[1]}/login/{provider['id']}")
    assert again.status_code == 502
    assert status_of(admin, provider["id"])["consecutive_failures"] == 2


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=600", 600),
        ("public, max-age=600, must-revalidate", 600),
        (None, 3_600),
        ("no-store", 60),
        ("no-cache, max-age=600", 60),
        ("max-age=5", 60),
        ("max-age=999999999", 86_400),
        ("max-age=garbage", 3_600),
    ],
)
def test_does_a_document_live_as_long_as_its_cache_headers_say_within_bounds(app, header, seconds):
    """Look-alike and costly values fall back to the bounds, never to forever."""
    with app.test_request_context():
        assert discovery.lifetime(header) == seconds


def test_is_the_status_for_admin_keys_only(api_client, tenant, oidc_provider):
    """An app's ``auth`` key (public in browsers) learns nothing of the providers' health."""
    refused = api_client(tenant, ["auth"]).get("/identity-providers/status")
    assert refused.status_code == 403
    assert refused.headers["Content-Type"].startswith("application/problem+json")
