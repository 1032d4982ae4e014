"""The user page's tabs: profile, metadata, roles, sessions, security, activity."""

from __future__ import annotations

import json
import re
import uuid

import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.tenancy import tenant_context

TABS = ("", "/metadata", "/roles", "/sessions", "/security", "/activity")
PASSWORD = "a long password 1"


def _events(app, tenant, event_type):
    from authsvc.events import Event

    with app.app_context(), tenant_context(tenant[0]):
        return list(db.session.execute(sa.select(Event).where(Event.type == event_type)).scalars())


def _metadata(app, tenant, user_id):
    from authsvc.users.service import get_user

    with app.app_context(), tenant_context(tenant[0]):
        return get_user(user_id).user_metadata


def test_every_tab_is_its_own_linkable_url_marked_current(admin_client, tenant, make_user):
    user = make_user(tenant, display_name="Grace Hopper")
    client = admin_client(tenant)
    for tab in TABS:
        page = client.get(f"/admin/users/{user['id']}{tab}")
        assert page.status_code == 200, tab
        tabs = page.text.split("admin-user-tabs")[1].split("</ul>")[0]
        current = re.findall(r'href="([^"]+)" aria-current="page"', tabs)
        assert current == [f"/admin/users/{user['id']}{tab}"], tab
        # The heading names the user, not their id.
        assert '<h1 class="h3 mb-0 text-break">Grace Hopper</h1>' in page.text


def test_metadata_saves_a_json_object_as_an_event(app, admin_client, tenant, make_user):
    user = make_user(tenant, metadata={"plan": "free"})
    client = admin_client(tenant)
    page = client.get(f"/admin/users/{user['id']}/metadata").text
    assert "&#34;plan&#34;: &#34;free&#34;" in page
    saved = client.post(f"/admin/users/{user['id']}/metadata", {"metadata": '{"plan": "pro"}'})
    assert saved.status_code == 302
    assert _metadata(app, tenant, user["id"]) == {"plan": "pro"}
    (event,) = _events(app, tenant, "user.updated")
    assert event.data["changed"] == ["metadata"] and event.actor.startswith("admin:")


def test_bad_metadata_is_a_field_error_and_nothing_is_saved(app, admin_client, tenant, make_user):
    """Invalid JSON, a non-object, and a costly oversized body are each refused at the field."""
    user = make_user(tenant, metadata={"plan": "free"})
    client = admin_client(tenant)
    cases = {
        '{"plan": ': "Not valid JSON",
        '["not", "an object"]': "Must be a JSON object",
        json.dumps({"blob": "x" * 20_000}): "At most 16 KiB",
        "[" * 50_000 + "]" * 50_000: "At most 16 KiB",
    }
    for text, message in cases.items():
        response = client.post(f"/admin/users/{user['id']}/metadata", {"metadata": text})
        assert response.status_code == 422 and message in response.text, message
        assert "invalid-feedback" in response.text
    assert _metadata(app, tenant, user["id"]) == {"plan": "free"}
    assert _events(app, tenant, "user.updated") == []


def test_roles_tab_changes_roles_and_links_organizations(app, admin_client, tenant, make_user):
    user = make_user(tenant)
    client = admin_client(tenant)
    assert client.post(f"/admin/users/{user['id']}/roles", {"roles": ["admin"]}).status_code == 302
    page = client.get(f"/admin/users/{user['id']}/roles").text
    assert re.search(r'<input checked[^>]*value="admin"', page) and not re.search(
        r'<input checked[^>]*value="member"', page
    )
    assert "Not a member of any organization." in page
    bad = client.post(f"/admin/users/{user['id']}/roles", {"roles": ["no-such-role"]})
    assert bad.status_code == 422 and "not a valid choice" in bad.text


def test_sessions_tab_shows_the_user_agent_and_ip(admin_client, tenant, make_user, api_client):
    user = make_user(tenant, password=PASSWORD)
    auth = api_client(tenant, ["auth"])
    response = auth.post(
        "/auth/login",
        json={"email": user["email"], "password": PASSWORD},
        headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"},
    )
    assert response.status_code == 200
    page = admin_client(tenant).get(f"/admin/users/{user['id']}/sessions").text
    assert "Firefox/128.0" in page and "Revoke all sessions…" in page


def test_security_tab_shows_lockout_failures_and_unlocks(
    app, admin_client, tenant, make_user, api_client
):
    user = make_user(tenant, password=PASSWORD)
    auth = api_client(tenant, ["auth"])
    for _ in range(12):
        auth.post("/auth/login", json={"email": user["email"], "password": "wrong password"})
    client = admin_client(tenant)
    page = client.get(f"/admin/users/{user['id']}/security").text
    assert 'data-testid="locked"' in page and 'data-testid="mfa-state">off' in page
    failures = page.split('data-testid="failures"')[1].split("</table>")[0]
    assert failures.count("<tr>") == 11  # the header row and the ten most recent failures
    assert client.post(f"/admin/users/{user['id']}/unlock").status_code == 302
    assert 'data-testid="locked"' not in client.get(f"/admin/users/{user['id']}/security").text


def _linked(app, tenant, user_id):
    from authsvc.federation.models import IdentityProvider, UserIdentity

    with app.app_context(), tenant_context(tenant[0]):
        provider = IdentityProvider(kind="github", display_name="GitHub", client_id="abc")
        db.session.add(provider)
        db.session.flush()
        link = UserIdentity(provider_id=provider.id, user_id=uuid.UUID(user_id), subject="42")
        link.email = "grace@github.example"
        db.session.add(link)
        db.session.commit()
        return str(link.id)


def test_unlinking_an_identity_is_confirmed_first(app, admin_client, tenant, make_user):
    user = make_user(tenant, password=PASSWORD)
    link = _linked(app, tenant, user["id"])
    client = admin_client(tenant)
    page = client.get(f"/admin/users/{user['id']}/security").text
    assert ">GitHub</a>: grace@github.example" in page
    url = f"/admin/users/{user['id']}/identities/{link}/unlink"
    assert "Unlink grace@github.example" in client.get(url).text
    assert client.post(url).status_code == 400  # not confirmed: nothing happens
    assert "grace@github.example" in client.get(f"/admin/users/{user['id']}/security").text
    assert client.post(url, {"confirm": "y"}).status_code == 302
    assert "No identities" in client.get(f"/admin/users/{user['id']}/security").text
    (event,) = _events(app, tenant, "identity.unlinked")
    assert event.actor.startswith("admin:")


def test_unlinking_the_last_way_in_is_refused_with_a_message(app, admin_client, tenant, make_user):
    user = make_user(tenant)  # no password: the provider is the only way in
    link = _linked(app, tenant, user["id"])
    client = admin_client(tenant)
    url = f"/admin/users/{user['id']}/identities/{link}/unlink"
    done = client.post(url, {"confirm": "y"}, follow_redirects=True).text
    assert "only way to sign in" in done and "grace@github.example" in done


def test_activity_tab_lists_this_users_audit_entries_a_page_at_a_time(
    admin_client, tenant, make_user
):
    user = make_user(tenant)
    other = make_user(tenant)
    client = admin_client(tenant)
    for i in range(27):
        client.post(f"/admin/users/{user['id']}/metadata", {"metadata": json.dumps({"n": i})})
    client.post(f"/admin/users/{other['id']}/metadata", {"metadata": "{}"})
    first = client.get(f"/admin/users/{user['id']}/activity").text
    rows = first.split('data-testid="activity"')[1].split("</table>")[0]
    assert rows.count("user.updated") == 25 and "admin " in rows
    older = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(older).text.split('data-testid="activity"')[1].split("</table>")[0]
    # 27 updates and the user.created entry; the other user's update is not here.
    assert second.count("user.updated") == 2 and second.count("user.created") == 1


def test_activity_names_the_api_key_that_acted(admin_client, tenant, api_client):
    writer = api_client(tenant, ["users:write"])
    created = writer.post("/users", json={"email": "keyed@example.com"}).json
    page = admin_client(tenant).get(f"/admin/users/{created['id']}/activity").text
    rows = page.split('data-testid="activity"')[1].split("</table>")[0]
    assert re.search(r'API key <a href="/admin/api-keys">[^<(]+</a>', rows)


def test_tenant_admin_cannot_reach_another_tenants_user_on_any_tab(
    admin_client, tenant, other_tenant, make_user, app
):
    """Tenant A's admin gets a 404 for B's user id on every tab and every action."""
    victim = make_user(other_tenant, password=PASSWORD, metadata={"plan": "free"})
    link = _linked(app, other_tenant, victim["id"])
    client = admin_client(tenant)
    base = f"/admin/users/{victim['id']}"
    for tab in TABS:
        assert client.get(base + tab).status_code == 404, tab
    posts = {
        "/metadata": {"metadata": "{}"},
        "/roles": {"roles": ["admin"]},
        f"/identities/{link}/unlink": {"confirm": "y"},
    }
    for path, data in posts.items():
        assert client.post(base + path, data).status_code == 404, path
    assert _metadata(app, other_tenant, victim["id"]) == {"plan": "free"}
    own = make_user(tenant)
    # B's identity id under A's own user is not found either.
    assert client.get(f"/admin/users/{own['id']}/identities/{link}/unlink").status_code == 404
