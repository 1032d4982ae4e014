"""What switching organization costs the database, next to a refresh (issue #14's target)."""

from __future__ import annotations

import pytest
from flask_migrate import upgrade

from tests.conftest import ApiClient, make_app
from tests.organizations.conftest import Org
from tests.organizations.test_active_organization import claims_of, switch
from tests.sql import statements

ORG_TABLES = ("organizations", "memberships", "membership_roles", "active_organizations")


@pytest.fixture(scope="module")
def cost_app(database_url, tmp_path_factory):
    """An app on the session's database whose denylist answers outlive the test.

    A switch presents an access token, whose revocation check is answered from the
    check cached for its session for AUTH_DENYLIST_POLL_SECONDS (1 s by default). On a
    loaded machine more than that can pass between the warm-up and the measured switch,
    and the lookup would then be counted; with 60 s the count is the switch's own.
    """
    instance = make_app(
        database_url, tmp_path_factory.mktemp("cost"), AUTH_DENYLIST_POLL_SECONDS=60
    )
    with instance.app_context():
        upgrade()
    return instance


@pytest.fixture
def org_app(cost_app, make_key, tenant, make_user) -> Org:
    client = ApiClient(cost_app.test_client(), make_key(tenant), *tenant)
    return Org(cost_app, client, tenant, make_user)


def refresh(org_app, refresh_token: str) -> dict:
    answer = org_app.client.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_switch_sends_no_more_statements_than_a_refresh(cost_app, org_app, two_orgs):
    """Both renew the session's token family; a switch also checks the membership, in the
    same statement that reads the user, so it must not cost the database more."""
    pair = org_app.sign_in("ada@example.com")
    pair = switch(org_app, pair["access_token"], two_orgs["acme"]["id"]).json
    pair = refresh(org_app, pair["refresh_token"])  # both paths warm, the key's use recorded
    with statements(cost_app) as by_refresh:
        pair = refresh(org_app, pair["refresh_token"])
    with statements(cost_app) as by_switch:
        switched = switch(org_app, pair["access_token"], two_orgs["globex"]["id"])
    assert switched.status_code == 200, switched.json
    assert claims_of(switched.json["access_token"])["org_slug"] == "globex"
    assert claims_of(pair["access_token"])["org_slug"] == "acme"
    # A switch also presents an access token. Its revocation check is by session (a
    # session's tokens are revoked only with it), answered from the check cached for
    # this session: no lookup of its own, so the whole switch is counted.
    assert not [sent for sent in by_switch if "FROM revoked_tokens" in sent], by_switch
    assert len(by_switch) <= len(by_refresh), (by_switch, by_refresh)
    # The organization, membership and roles are one read, joined with the user's row.
    assert len([s for s in by_switch if "memberships" in s]) == 1, by_switch


def test_tokens_of_a_session_without_an_organization_cost_no_organization_query(cost_app, org_app):
    """A tenant that never uses organizations pays nothing for them at sign-in or refresh."""
    org_app.user("plain@example.com")
    with statements(cost_app) as by_login:
        pair = org_app.sign_in("plain@example.com")
    with statements(cost_app) as by_refresh:
        refresh(org_app, pair["refresh_token"])
    for sent in (by_login, by_refresh):
        assert not [s for s in sent if any(table in s for table in ORG_TABLES)], sent
    assert "org_id" not in claims_of(pair["access_token"])
