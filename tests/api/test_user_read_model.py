"""One user row for every reader: /me, the user API's item and list, and event payloads agree."""

from __future__ import annotations

import sqlalchemy as sa

from authsvc.events import Event
from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from tests.auth.conftest import TenantApp


def _payloads(app, tenant_id, event_type: str) -> list[dict]:
    with app.app_context(), tenant_context(tenant_id):
        found = db.session.execute(
            sa.select(Event).where(Event.type == event_type).order_by(Event.created_at)
        ).scalars()
        return [event.data["user"] for event in found]


def test_me_shows_the_signed_in_user_exactly_as_the_user_api_does(api_client, tenant):
    tenant_app = TenantApp(api_client(tenant, ["admin"]), tenant)
    user = tenant_app.signup("same@example.com", username="same", display_name="Same")
    changed = tenant_app.client.patch(
        f"/users/{user['id']}",
        json={"roles": ["admin", "member"], "metadata": {"plan": "pro"}, "is_verified": True},
    )
    assert changed.status_code == 200
    pair = tenant_app.tokens("same@example.com")
    me = tenant_app.as_user("get", "/me", pair["access_token"]).json
    item = tenant_app.client.get(f"/users/{user['id']}").json
    listed = tenant_app.client.get("/users", query_string={"email": "same@example.com"}).json
    assert me.pop("preferences") == {}
    assert me == item and listed["items"] == [item]
    assert item["roles"] == ["admin", "member"] and item["last_login_at"] is not None


def test_a_user_events_payload_is_the_user_as_the_api_shows_it(app, api_client, tenant):
    client = api_client(tenant, ["users:read", "users:write"])
    created = client.post(
        "/users", json={"email": "Event@Example.com", "roles": ["member"], "metadata": {"a": 1}}
    ).json
    changed = client.patch(f"/users/{created['id']}", json={"display_name": "Eve"}).json
    assert _payloads(app, tenant[0], "user.created") == [created]
    assert _payloads(app, tenant[0], "user.updated") == [changed]
    assert client.get(f"/users/{created['id']}").json == changed
    assert client.delete(f"/users/{created['id']}").status_code == 204
    assert _payloads(app, tenant[0], "user.deleted") == [changed]


def test_another_tenants_user_is_not_found_by_any_reader(api_client, tenant, other_tenant):
    mine = TenantApp(api_client(tenant, ["admin"]), tenant)
    user = mine.signup("hidden@example.com")
    theirs = api_client(other_tenant, ["admin"])
    assert theirs.get(f"/users/{user['id']}").status_code == 404
    listed = theirs.get("/users", query_string={"email": "hidden@example.com"}).json
    assert listed["items"] == []
    assert (
        theirs.post(
            "/auth/login", json={"email": "hidden@example.com", "password": "x" * 12}
        ).status_code
        == 401
    )
