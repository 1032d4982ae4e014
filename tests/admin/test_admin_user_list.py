"""The user list: sorting, filters and columns, bulk actions, CSV export and import."""

from __future__ import annotations

import csv
import io
import re
import uuid

import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.tenancy import tenant_context

PASSWORD = "a long password 1"
EMAILS = re.compile(r'<a href="/admin/users/[0-9a-f-]+">([^<]+@[^<]+)</a>')


def _emails(page: str) -> list[str]:
    return EMAILS.findall(page)


def _link(page: str, rel: str) -> str:
    return (
        re.search(rf'href="(/admin/users\?[^"]+)" rel="{rel}"', page).group(1).replace("&amp;", "&")
    )


def _events(app, tenant, event_type):
    from authsvc.events import Event

    with app.app_context(), tenant_context(tenant[0]):
        return list(db.session.execute(sa.select(Event).where(Event.type == event_type)).scalars())


def _users(app, tenant):
    """Each user of the tenant by email, as plain values read inside the tenant."""
    from types import SimpleNamespace

    from authsvc.users.models import User

    with app.app_context(), tenant_context(tenant[0]):
        found = db.session.execute(sa.select(User)).scalars()
        names = ("is_active", "is_verified", "roles", "password_hash")
        return {u.email: SimpleNamespace(**{n: getattr(u, n) for n in names}) for u in found}


def _enable_mfa(app, tenant, user_id):
    from authsvc.auth.models import MfaFactor
    from authsvc.db import utcnow

    with app.app_context(), tenant_context(tenant[0]):
        factor = MfaFactor(user_id=uuid.UUID(user_id), secret_encrypted="x", confirmed_at=utcnow())
        db.session.add(factor)
        db.session.commit()


def test_sorting_by_email_created_and_last_sign_in_both_ways(
    admin_client, tenant, make_user, api_client
):
    for name in ("bravo", "alpha", "charlie"):
        make_user(tenant, email=f"{name}@example.com", password=PASSWORD)
    auth = api_client(tenant, ["auth"])
    assert (
        auth.post(
            "/auth/login", json={"email": "charlie@example.com", "password": PASSWORD}
        ).status_code
        == 200
    )
    client = admin_client(tenant)
    assert _emails(client.get("/admin/users?sort=email").text) == [
        "alpha@example.com",
        "bravo@example.com",
        "charlie@example.com",
    ]
    assert _emails(client.get("/admin/users?sort=email&dir=desc").text) == [
        "charlie@example.com",
        "bravo@example.com",
        "alpha@example.com",
    ]
    assert _emails(client.get("/admin/users?sort=created&dir=desc").text) == [
        "charlie@example.com",
        "alpha@example.com",
        "bravo@example.com",
    ]
    # Never signed in sorts first ascending; the one sign-in leads descending.
    assert (
        _emails(client.get("/admin/users?sort=last_login&dir=desc").text)[0]
        == "charlie@example.com"
    )
    assert _emails(client.get("/admin/users?sort=last_login").text)[-1] == "charlie@example.com"
    header = client.get("/admin/users?sort=email").text
    assert 'aria-sort="ascending"' in header and "sort=email&amp;dir=desc" in header


def test_sorted_pages_walk_every_user_once_both_ways(admin_client, tenant, make_user):
    for i in range(23):
        make_user(tenant, email=f"p{(i * 7) % 23:02d}@example.com")
    client = admin_client(tenant)
    seen, page = [], client.get("/admin/users?sort=email&dir=desc&size=10").text
    pages = [page]
    while 'rel="next"' in page:
        page = client.get(_link(page, "next")).text
        pages.append(page)
    for shown in pages:
        seen += _emails(shown)
    assert seen == sorted(seen, reverse=True) and len(set(seen)) == 23
    back = client.get(_link(pages[2], "prev")).text
    assert _emails(back) == _emails(pages[1])
    # A forged cursor is a 422 error page, not a 500.
    assert client.get("/admin/users?sort=email&cursor=WyJ4Il0").status_code == 422
    assert client.get("/admin/users?sort=created&cursor=WyJ4IiwgIjEyIl0").status_code == 422


def test_filters_and_columns_for_mfa_locked_verified_and_role(
    app, admin_client, tenant, make_user, api_client
):
    mfa = make_user(tenant, email="mfa@example.com")
    _enable_mfa(app, tenant, mfa["id"])
    make_user(tenant, email="locked@example.com", password=PASSWORD)
    make_user(tenant, email="boss@example.com", roles=["admin"], is_verified=True)
    auth = api_client(tenant, ["auth"])
    for _ in range(12):
        auth.post("/auth/login", json={"email": "locked@example.com", "password": "wrong"})
    client = admin_client(tenant)
    assert _emails(client.get("/admin/users?mfa=yes").text) == ["mfa@example.com"]
    assert "mfa@example.com" not in _emails(client.get("/admin/users?mfa=no").text)
    assert _emails(client.get("/admin/users?locked=yes").text) == ["locked@example.com"]
    assert "locked@example.com" not in _emails(client.get("/admin/users?locked=no").text)
    assert _emails(client.get("/admin/users?role=admin").text) == ["boss@example.com"]
    assert _emails(client.get("/admin/users?verified=yes").text) == ["boss@example.com"]
    assert "No user matches" in client.get("/admin/users?role=no-such-role").text
    page = client.get("/admin/users").text
    assert page.count('data-testid="row-mfa"') == 1 and page.count('data-testid="row-locked"') == 1


def _bulk(client, ids, action, role="", confirm=False):
    data = {"ids": ids, "action": action, "role": role, "back": "/admin/users?sort=email"}
    if confirm:
        data.update(step="confirm", confirm="y")
    return client.post("/admin/users/bulk", data)


def test_bulk_action_shows_one_confirmation_with_the_count_then_applies(
    app, admin_client, tenant, make_user
):
    users = [make_user(tenant, email=f"b{i}@example.com") for i in range(3)]
    ids = [u["id"] for u in users]
    client = admin_client(tenant)
    confirm = _bulk(client, ids, "disable")
    assert confirm.status_code == 200
    assert re.search(r'data-testid="bulk-title">Disable: 3 users<', confirm.text)
    assert all(u["email"] in confirm.text for u in users)
    assert all(u.is_active for u in _users(app, tenant).values()), "nothing before confirming"
    unticked = client.post(
        "/admin/users/bulk", {"ids": ids, "action": "disable", "step": "confirm"}
    )
    assert unticked.status_code == 422 and all(u.is_active for u in _users(app, tenant).values())
    done = _bulk(client, ids, "disable", confirm=True)
    assert done.status_code == 302 and done.headers["Location"] == "/admin/users?sort=email"
    assert not any(u.is_active for u in _users(app, tenant).values())
    assert len(_events(app, tenant, "user.updated")) == 3
    # Already disabled: nothing changes and no event is written.
    _bulk(client, ids, "disable", confirm=True)
    assert len(_events(app, tenant, "user.updated")) == 3


def test_bulk_role_verify_enable_revoke_and_delete(
    app, admin_client, tenant, make_user, api_client
):
    users = [make_user(tenant, email=f"r{i}@example.com", password=PASSWORD) for i in range(2)]
    ids = [u["id"] for u in users]
    auth = api_client(tenant, ["auth"])
    auth.post("/auth/login", json={"email": "r0@example.com", "password": PASSWORD})
    client = admin_client(tenant)
    missing = _bulk(client, ids, "add_role", confirm=True)
    assert missing.status_code == 422 and "Choose an existing role." in missing.text
    _bulk(client, ids, "add_role", "admin", confirm=True)
    assert all(u.roles == ["admin", "member"] for u in _users(app, tenant).values())
    _bulk(client, ids, "remove_role", "member", confirm=True)
    assert all(u.roles == ["admin"] for u in _users(app, tenant).values())
    _bulk(client, ids, "verify", confirm=True)
    assert all(u.is_verified for u in _users(app, tenant).values())
    revoked = _bulk(client, ids, "revoke_sessions", confirm=True)
    assert "1 of 2 selected user(s) changed" in client.get(revoked.headers["Location"]).text
    assert len(_events(app, tenant, "session.revoked")) == 1
    _bulk(client, ids, "delete", confirm=True)
    assert _users(app, tenant) == {} and len(_events(app, tenant, "user.deleted")) == 2


def test_bulk_with_another_tenants_ids_is_404_and_changes_nothing(
    app, admin_client, tenant, other_tenant, make_user
):
    mine = make_user(tenant)
    theirs = make_user(other_tenant)
    client = admin_client(tenant)
    for action in ("disable", "delete"):
        assert _bulk(client, [theirs["id"]], action).status_code == 404
        assert _bulk(client, [mine["id"], theirs["id"]], action, confirm=True).status_code == 404
    assert _bulk(client, ["not-a-uuid"], "delete", confirm=True).status_code == 404
    assert all(u.is_active for u in _users(app, other_tenant).values())
    assert all(u.is_active for u in _users(app, tenant).values())
    # A costly selection (far more ids than a page) is refused before any lookup.
    many = _bulk(client, [str(uuid.uuid4()) for _ in range(5000)], "delete", confirm=True)
    assert many.status_code == 422 and "Select between 1 and 100 users." in many.text
    # The "back" field never redirects off the user list.
    off = client.post(
        "/admin/users/bulk",
        {
            "ids": [mine["id"]],
            "action": "verify",
            "step": "confirm",
            "confirm": "y",
            "back": "https://evil.example/",
        },
    )
    assert off.headers["Location"] == "/admin/users"


def test_export_is_a_streamed_formula_safe_csv_of_the_filtered_list(
    admin_client, tenant, other_tenant, make_user
):
    make_user(tenant, email="plain@example.com", display_name='=HYPERLINK("http://evil")')
    make_user(tenant, email="second@example.com", display_name="@SUM(A1)", username="second")
    make_user(tenant, email="third@example.com", display_name="\tTabbed", is_active=False)
    make_user(other_tenant, email="other@example.com")
    client = admin_client(tenant)
    response = client.get("/admin/users/export.csv?active=yes&sort=email&dir=desc")
    assert response.status_code == 200 and response.is_streamed
    assert (
        response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["email"] for r in rows] == ["second@example.com", "plain@example.com"]
    assert rows[1]["display_name"] == '\'=HYPERLINK("http://evil")'
    assert rows[0]["display_name"] == "'@SUM(A1)" and rows[0]["mfa"] == "no"
    tabbed = client.get("/admin/users/export.csv?active=no").text
    assert "'\tTabbed" in tabbed and "other@example.com" not in tabbed


def _import(client, text: str | bytes, name="users.csv"):
    body = text.encode() if isinstance(text, str) else text
    return client.post(
        "/admin/users/import",
        {"file": (io.BytesIO(body), name)},
        content_type="multipart/form-data",
    )


def _confirm_field(page: str) -> str:
    import html

    return html.unescape(re.search(r'name="csv_text" type="hidden" value="([^"]*)"', page).group(1))


def test_import_previews_every_row_with_its_errors_and_writes_nothing(
    app, admin_client, tenant, make_user
):
    make_user(tenant, email="taken@example.com")
    text = (
        "email,username,display_name,roles,verified\n"
        "new@example.com,newbie,New Person,admin;member,yes\n"
        "not-an-email,,,,\n"
        "Taken@Example.com,,,,\n"
        "dup@example.com,,,,\n"
        "DUP@example.com,,,,\n"
        "x@example.com,,,wizard,maybe\n"
    )
    client = admin_client(tenant)
    preview = _import(client, text)
    assert preview.status_code == 200
    rows = preview.text.split('data-testid="import-rows"')[1]
    for problem in (
        "Not an email address",
        "already exists",
        "Same email as line 5",
        "Unknown role(s): wizard",
        "verified must be yes or no",
    ):
        assert problem in rows, problem
    assert "2 rows ready to import · 4 with errors" in preview.text
    assert set(_users(app, tenant)) == {"taken@example.com"}, "nothing written by a preview"
    done = client.post(
        "/admin/users/import/confirm", {"csv_text": _confirm_field(preview.text), "send_reset": "y"}
    )
    assert done.status_code == 302
    users = _users(app, tenant)
    assert set(users) == {"taken@example.com", "new@example.com", "dup@example.com"}
    new = users["new@example.com"]
    assert new.password_hash is None and new.is_verified and new.roles == ["admin", "member"]
    created = [e for e in _events(app, tenant, "user.created") if e.data["via"] == "import"]
    assert len(created) == 2
    assert _reset_mails(app, tenant) == ["dup@example.com", "new@example.com"]


def _reset_mails(app, tenant) -> list[str]:
    """Recipients of the password-reset mails the import queued (composed by the worker)."""
    from authsvc.mail.models import MailMessage
    from authsvc.mail.requests import compose_requested

    compose_requested(app)
    with app.app_context(), tenant_context(tenant[0]):
        statement = sa.select(MailMessage.recipient).where(MailMessage.template == "password_reset")
        return sorted(db.session.execute(statement).scalars())


def test_import_refuses_passwords_oversized_files_too_many_rows_and_bad_text(admin_client, tenant):
    client = admin_client(tenant)
    cases = {
        "email,password\na@example.com,hunter2\n": "Passwords are never imported",
        "mail,name\n": "Columns must be among",
        "email\n": "no rows below its header",
        "email\n" + "a@example.com\n" * 1001: "At most 1000 rows",
        "email,display_name\n" + "a@example.com," + "x" * 200_000 + "\n": "Not a readable CSV file",
    }
    for text, message in cases.items():
        response = _import(client, text)
        assert response.status_code == 422 and message in response.text, message
    big = _import(client, b"email\n" + b"a" * (300 * 1024))
    assert big.status_code == 422 and "larger than 256 KiB" in big.text
    latin1 = _import(client, "email,display_name\nb@example.com,Jos\xe9\n".encode("latin-1"))
    assert latin1.status_code == 422 and "not UTF-8" in latin1.text
    unconfirmed = client.post(
        "/admin/users/import/confirm", {"csv_text": "email\nc@example.com\n"}, csrf=False
    )
    assert unconfirmed.status_code in (302, 400)


def test_import_refuses_look_alike_and_duplicate_addresses(app, admin_client, tenant, make_user):
    make_user(tenant, email="ada@example.com")
    text = "email\n\uff41da@example.com\nраypal@example.com\n"
    preview = _import(admin_client(tenant), text).text
    assert "already exists" in preview and "one script" in preview
