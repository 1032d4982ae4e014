"""Managing users in the panel: list, search, create, edit, flags, delete, sign-in security."""

from __future__ import annotations

import re

import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.tenancy import tenant_context


def _events(app, tenant, event_type):
    from authsvc.events import Event

    with app.app_context(), tenant_context(tenant[0]):
        return list(db.session.execute(sa.select(Event).where(Event.type == event_type)).scalars())


def test_users_page_shows_an_empty_state_then_the_users(admin_client, tenant, make_user):
    client = admin_client(tenant)
    assert "No users yet." in client.get("/admin/users").text
    user = make_user(tenant, username="grace")
    page = client.get("/admin/users").text
    assert user["email"] in page and "grace" in page


def test_search_filter_and_pagination(admin_client, tenant, make_user, api_client):
    for i in range(27):
        make_user(tenant, email=f"page{i:02d}@example.com")
    make_user(tenant, email="zed@example.com", is_active=False)
    client = admin_client(tenant)
    first = client.get("/admin/users?q=page").text
    assert first.count("@example.com</a>") == 25 and "Next page" in first
    next_url = first.split('href="/admin/users?')[-1].split('"')[0].replace("&amp;", "&")
    second = client.get(f"/admin/users?{next_url}").text
    assert second.count("@example.com</a>") == 2 and "page26@example.com" in second
    disabled = client.get("/admin/users?active=no").text
    assert "zed@example.com" in disabled and "page00@example.com" not in disabled
    assert "No user matches these filters." in client.get("/admin/users?q=nobody").text


def _link(page: str, rel: str) -> str:
    href = re.search(rf'href="(/admin/users\?[^"]+)" rel="{rel}"', page).group(1)
    return href.replace("&amp;", "&")


def test_search_finds_any_part_of_a_name_with_a_count_and_pages_both_ways(
    admin_client, tenant, other_tenant, make_user
):
    make_user(tenant, email="grace@example.com", display_name="Grace Brewster Hopper")
    make_user(other_tenant, email="hopper@example.com", display_name="Other Tenant Hopper")
    for i in range(11):
        make_user(tenant, email=f"row{i:02d}@example.com", username=f"row_{i:02d}")
    client = admin_client(tenant)
    found = client.get("/admin/users?q=hopper").text
    assert "grace@example.com" in found and "hopper@example.com" not in found
    assert re.search(r'data-testid="user-count"[^>]*>1 user<', found)
    # "%" and "_" are searched for literally, not as wildcards.
    assert "No user matches" in client.get("/admin/users?q=%25").text
    assert client.get("/admin/users?q=w_0").text.count("@example.com</a>") == 10

    first = client.get("/admin/users?q=row&size=10").text
    assert first.count("@example.com</a>") == 10 and 'rel="prev"' not in first
    assert "11 users · page 1 of 2" in first
    second = client.get(_link(first, "next")).text
    assert second.count("@example.com</a>") == 1 and "page 2 of 2" in second
    assert 'rel="next"' not in second
    back = client.get(_link(second, "prev")).text
    assert back.count("@example.com</a>") == 10 and "page 1 of 2" in back
    assert "row00@example.com" in back
    # An unknown page size falls back to the default (25), never an unbounded list.
    assert client.get("/admin/users?q=row&size=100000").text.count("@example.com</a>") == 11


def test_create_user_keeps_input_and_shows_errors_next_to_fields(admin_client, tenant, make_user):
    make_user(tenant, email="taken@example.com")
    client = admin_client(tenant)
    bad = client.post("/admin/users/new", {"email": "not-an-email", "username": "ok_name"})
    assert bad.status_code == 422
    assert 'value="not-an-email"' in bad.text and 'value="ok_name"' in bad.text
    assert "Enter an email address like ada@example.com." in bad.text
    assert "invalid-feedback" in bad.text
    taken = client.post("/admin/users/new", {"email": "taken@example.com", "roles": "member"})
    assert taken.status_code == 422 and "Another user has this email." in taken.text
    created = client.post(
        "/admin/users/new",
        {
            "email": "ada@example.com",
            "username": "ada",
            "password": "a long password 1",
            "roles": ["member"],
            "is_active": "y",
        },
    )
    assert created.status_code == 302
    page = client.get(created.headers["Location"])
    assert "User ada@example.com created." in page.text
    events = _events(client.client.application, tenant, "user.created")
    assert [e.actor for e in events if e.data["user"]["email"] == "ada@example.com"] == [
        f"admin:{client.email}"
    ]


def test_edit_disable_enable_verify_and_delete_with_confirmation(admin_client, tenant, make_user):
    user = make_user(tenant)
    client = admin_client(tenant)
    url = f"/admin/users/{user['id']}"
    saved = client.post(
        url,
        {
            "email": user["email"],
            "display_name": "Ada L",
            "is_active": "y",
            "roles": ["member", "admin"],
        },
    )
    assert saved.status_code == 302
    page = client.get(url).text
    assert 'value="Ada L"' in page
    client.post(f"{url}/disable")
    assert 'badge text-bg-secondary">disabled' in client.get("/admin/users").text
    client.post(f"{url}/enable")
    client.post(f"{url}/verify")
    listing = client.get("/admin/users").text
    assert "verified" in listing and ">disabled<" not in listing
    confirm = client.get(f"{url}/delete")
    assert "I understand this cannot be undone" in confirm.text
    unconfirmed = client.post(f"{url}/delete", {})
    assert unconfirmed.status_code == 400 and client.get(url).status_code == 200
    assert client.post(f"{url}/delete", {"confirm": "y"}).status_code == 302
    assert client.get(url).status_code == 404


def _sign_in_end_user(api_client, tenant, email):
    auth = api_client(tenant, ["auth"])
    response = auth.post("/auth/login", json={"email": email, "password": "a long password 1"})
    assert response.status_code == 200, response.json
    return response.json


def test_admin_sees_and_revokes_a_users_sessions(app, admin_client, tenant, make_user, api_client):
    user = make_user(tenant, password="a long password 1")
    _sign_in_end_user(api_client, tenant, user["email"])
    _sign_in_end_user(api_client, tenant, user["email"])
    client = admin_client(tenant)
    assert "Sessions (2)" in client.get(f"/admin/users/{user['id']}").text
    page = client.get(f"/admin/users/{user['id']}/sessions").text
    revoke = re.findall(r'action="([^"]+/sessions/[0-9a-f-]+/revoke)"', page)[0]
    assert client.post(revoke).status_code == 302
    assert "Sessions (1)" in client.get(f"/admin/users/{user['id']}").text
    unconfirmed = client.post(f"/admin/users/{user['id']}/sessions/revoke-all")
    assert unconfirmed.status_code == 400 and "Revoke every session" in unconfirmed.text
    assert "Sessions (1)" in client.get(f"/admin/users/{user['id']}").text, "nothing revoked"
    client.post(f"/admin/users/{user['id']}/sessions/revoke-all", {"confirm": "y"})
    assert "no active sessions" in client.get(f"/admin/users/{user['id']}/sessions").text
    assert len(_events(app, tenant, "session.revoked")) == 2


def test_send_reset_email_queues_the_reset_mail(app, admin_client, tenant, make_user):
    from authsvc.mail.models import MailMessage
    from authsvc.mail.requests import compose_requested

    user = make_user(tenant)
    client = admin_client(tenant)
    response = client.post(f"/admin/users/{user['id']}/send-reset")
    assert response.status_code == 302
    assert "password-reset email is on its way" in client.get(response.headers["Location"]).text
    compose_requested(app)  # the mail worker composes recovery mail, as for forgot-password
    with app.app_context(), tenant_context(tenant[0]):
        mails = (
            db.session.execute(sa.select(MailMessage).where(MailMessage.recipient == user["email"]))
            .scalars()
            .all()
        )
    assert [m.template for m in mails] == ["password_reset"]


def test_locked_user_can_be_unlocked(app, admin_client, tenant, make_user, api_client):
    user = make_user(tenant, password="a long password 1")
    auth = api_client(tenant, ["auth"])
    for _ in range(12):
        auth.post("/auth/login", json={"email": user["email"], "password": "wrong password"})
    client = admin_client(tenant)
    assert 'data-testid="locked"' in client.get(f"/admin/users/{user['id']}").text
    client.post(f"/admin/users/{user['id']}/unlock")
    assert 'data-testid="locked"' not in client.get(f"/admin/users/{user['id']}").text
    assert len(_events(app, tenant, "user.unlocked")) == 1
    # The account may sign in again (from another address: this one's own counter is separate).
    again = auth.post(
        "/auth/login",
        json={"email": user["email"], "password": "a long password 1"},
        environ_base={"REMOTE_ADDR": "192.0.2.44"},
    )
    assert again.status_code == 200


def test_does_creating_a_user_in_the_panel_apply_the_tenants_password_policy(
    app, admin_client, make_tenant
):
    """Issue 11.15: the panel skipped the policy; now a weak password is a form error."""
    from authsvc.users.models import User

    tenant = make_tenant(settings={"auth": {"password_min_length": 10}})
    client = admin_client(tenant)
    answers = {
        "password": "This password is too common; choose another.",
        "12345678": "Use at least 10 characters.",
    }
    for weak, message in answers.items():
        form = {"email": "weak@example.com", "password": weak, "roles": ["member"]}
        response = client.post("/admin/users/new", form)
        assert response.status_code == 422
        assert 'value="weak@example.com"' in response.text
        assert re.search(rf"invalid-feedback[^>]*>\s*{re.escape(message)}", response.text)
    with app.app_context(), tenant_context(tenant[0]):
        assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar() == 0


def test_is_a_look_alike_or_mixed_script_email_a_form_error_in_the_panel(
    admin_client, tenant, make_user
):
    make_user(tenant, email="kim@x.test")
    client = admin_client(tenant)
    answers = {
        "\u212aim@x.test": "Another user has this email.",
        "p\u0430ypal@x.test": "Use letters of one script before the @",
    }
    for email, message in answers.items():
        response = client.post("/admin/users/new", {"email": email, "roles": ["member"]})
        assert response.status_code == 422
        assert re.search(rf"invalid-feedback[^>]*>\s*{re.escape(message)}", response.text)
