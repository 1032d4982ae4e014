"""What switching organization costs the database, next to a refresh (issue #14's target)."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from authsvc.extensions import db
from tests.organizations.test_active_organization import claims_of, switch

ORG_TABLES = ("organizations", "memberships", "membership_roles", "active_organizations")


@contextmanager
def statements(app):
    """The SQL statements the block sends, in order."""
    sent: list[str] = []

    def record(conn, cursor, statement, *args):
        sent.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def refresh(org_app, refresh_token: str) -> dict:
    answer = org_app.client.post("/auth/refresh", json={"refresh_token": refresh_token})
    assert answer.status_code == 200, answer.json
    return answer.json


def test_a_switch_sends_no_more_statements_than_a_refresh(app, org_app, two_orgs):
    """Both renew the session's token family; a switch also checks the membership, in the
    same statement that reads the user, so it must not cost the database more."""
    pair = org_app.sign_in("ada@example.com")
    pair = switch(org_app, pair["access_token"], two_orgs["acme"]["id"]).json
    pair = refresh(org_app, pair["refresh_token"])  # both paths warm, the key's use recorded
    with statements(app) as by_refresh:
        pair = refresh(org_app, pair["refresh_token"])
    with statements(app) as by_switch:
        switched = switch(org_app, pair["access_token"], two_orgs["globex"]["id"])
    assert switched.status_code == 200, switched.json
    assert claims_of(switched.json["access_token"])["org_slug"] == "globex"
    assert claims_of(pair["access_token"])["org_slug"] == "acme"
    # A switch presents an access token, whose revocation check (the denylist: one lookup
    # per id not recently checked, here in the database, in Redis when configured) a
    # refresh token does not need. It is the authentication, not the switch: count it apart.
    work = [sent for sent in by_switch if "FROM revoked_tokens" not in sent]
    renew = [sent for sent in by_refresh if "FROM revoked_tokens" not in sent]
    assert len(work) <= len(renew), (work, renew)
    # The organization, membership and roles are one read, joined with the user's row.
    assert len([s for s in by_switch if "memberships" in s]) == 1, by_switch


def test_tokens_of_a_session_without_an_organization_cost_no_organization_query(app, org_app):
    """A tenant that never uses organizations pays nothing for them at sign-in or refresh."""
    org_app.user("plain@example.com")
    with statements(app) as by_login:
        pair = org_app.sign_in("plain@example.com")
    with statements(app) as by_refresh:
        refresh(org_app, pair["refresh_token"])
    for sent in (by_login, by_refresh):
        assert not [s for s in sent if any(table in s for table in ORG_TABLES)], sent
    assert "org_id" not in claims_of(pair["access_token"])
