"""The Administrators page: who sees whom, invitations, roles (viewer enforced), removal,
password reset links; attackers try other tenants' ids, spent links and look-alike tokens."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pyotp
import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from tests.admin.conftest import PASSWORD, AdminClient, csrf_token
from tests.conftest import unique

NEW_PASSWORD = "a brand new admin password"


def _admin_id(app, email: str) -> str:
    from authsvc.admins.models import Admin

    with app.app_context():
        return str(db.session.execute(sa.select(Admin.id).where(Admin.email == email)).scalar_one())


def _mail_link(app, tenant, address: str, template: str) -> str:
    """The single link of the newest ``template`` mail to ``address``."""
    from authsvc.mail.models import MailMessage

    with app.app_context(), tenant_context(tenant[0]):
        mail = (
            db.session.execute(
                sa.select(MailMessage)
                .where(MailMessage.recipient == address, MailMessage.template == template)
                .order_by(MailMessage.next_attempt_at.desc())
            )
            .scalars()
            .first()
        )
    assert mail is not None, f"no {template} mail to {address}"
    assert mail.body_html and "<a" in mail.body_html  # themed HTML part, as other mail
    return re.search(r"http://localhost(/admin/\S+)", mail.body_text).group(1)


def _invite(client, email: str, role: str = "tenant"):
    return client.post("/admin/admins/invite", {"email": email, "role": role})


def _fill(app, path: str, **fields):
    client = app.test_client()
    page = client.get(path)
    return client, page, client.post(path, data={**fields, "csrf_token": csrf_token(page.text)})


def test_does_a_tenant_admin_see_only_their_tenants_admins(
    app, admin_client, make_admin, tenant, other_tenant
):
    mine, theirs = make_admin(tenant), make_admin(other_tenant)
    client = admin_client(tenant)
    page = client.get("/admin/admins")
    assert page.status_code == 200 and mine in page.text and theirs not in page.text
    assert "Last sign-in" in page.text and "Two-factor" in page.text
    # Tenant B's admin by id, and a malformed id, are simply not found.
    assert client.get(f"/admin/admins/{_admin_id(app, theirs)}").status_code == 404
    assert client.get("/admin/admins/not-an-id").status_code == 404
    other = _admin_id(app, theirs)
    for action in ("role", "reset", "remove"):
        response = client.post(
            f"/admin/admins/{other}/{action}", {"role": "viewer", "confirm": "y"}
        )
        assert response.status_code == 404, action
    platform = admin_client(platform=True)
    listing = platform.get("/admin/admins").text
    assert mine in listing and theirs in listing


def test_does_an_invitation_mail_a_single_use_link_that_sets_the_password(
    app, admin_client, tenant
):
    from authsvc.admins.models import AdminToken

    client = admin_client(tenant)
    email = f"{unique('invitee')}@example.com"
    response = _invite(client, email)
    assert response.status_code == 302, response.text
    link = _mail_link(app, tenant, email, "admin_invitation")
    raw = link.split("token=")[1]
    with app.app_context():
        stored = db.session.execute(sa.select(AdminToken.token_hash)).scalars().all()
    assert raw not in stored, "only the token's hash is stored"
    # A look-alike token (one character changed) is refused like a missing one.
    forged = link[:-1] + ("A" if link[-1] != "A" else "B")
    assert app.test_client().get(forged).status_code == 410
    page, _, accepted = _fill(app, link, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert accepted.status_code == 302, accepted.text
    assert app.test_client().get(link).status_code == 410, "the link works once"
    invited = AdminClient(app.test_client(), email)
    assert invited.login(NEW_PASSWORD).status_code == 302
    assert email in client.get("/admin/admins").text


def test_are_all_invitation_form_errors_shown_at_once(admin_client, tenant, make_admin):
    client = admin_client(tenant)
    response = _invite(client, "not an email", role="emperor")
    assert response.status_code == 422
    assert "Enter an email address" in response.text and "Not a valid choice" in response.text
    # A tenant admin cannot invite a platform admin, and an existing admin is not invited twice.
    assert "Only a platform admin" in _invite(client, "x@example.com", "platform").text
    existing = make_admin(tenant)
    assert "already an administrator" in _invite(client, existing).text


def test_does_accepting_enrol_totp_when_the_tenant_requires_it(app, admin_client, make_tenant):
    strict = make_tenant(settings={"auth": {"require_mfa_for_admins": True}})
    from authsvc.admins.service import get_admin
    from authsvc.admins.tokens import invite
    from authsvc.tenants.models import Tenant

    # Invited through the service: the panel would first ask the inviter for TOTP.
    inviter = admin_client(platform=True)
    email = f"{unique('strict')}@example.com"
    with app.test_request_context(), tenant_context(strict[0]):
        tenant = db.session.get(Tenant, strict[0])
        invite(get_admin(inviter.email), email, "tenant", tenant, "admin:test")
    link = _mail_link(app, strict, email, "admin_invitation")
    client = app.test_client()
    page = client.get(link)
    secret = page.text.split('data-testid="totp-secret">')[1].split("<")[0]
    token = csrf_token(page.text)
    fields = {"password": "short", "confirm": "other", "csrf_token": token}
    missing = client.post(link, data=fields)
    assert missing.status_code == 422
    for message in ("at least 8", "passwords differ", "Enter the code"):
        assert message in missing.text, message
    fields.update(password=NEW_PASSWORD, confirm=NEW_PASSWORD, code=pyotp.TOTP(secret).now())
    assert client.post(link, data=fields).status_code == 302
    with app.app_context():
        assert get_admin(email).has_totp


def test_is_a_viewer_refused_every_change_but_sees_the_pages(app, admin_client, make_admin, tenant):
    viewer_email = make_admin(tenant)
    boss = admin_client(tenant)
    target = _admin_id(app, viewer_email)
    response = boss.post(f"/admin/admins/{target}/role", {"role": "viewer"})
    assert response.status_code == 302, response.text
    assert "Viewer" in boss.get(f"/admin/admins/{target}").text
    viewer = AdminClient(app.test_client(), viewer_email)
    assert viewer.login().status_code == 302
    for page in ("/admin/", "/admin/users", "/admin/roles", "/admin/admins", "/admin/audit"):
        assert viewer.get(page).status_code == 200, page
    for path, data in (
        ("/admin/roles/new", {"name": "sneaky", "permissions": ""}),
        ("/admin/users/new", {"email": "v@example.com"}),
        ("/admin/admins/invite", {"email": "v@example.com", "role": "tenant"}),
        (f"/admin/admins/{_admin_id(app, boss.email)}/role", {"role": "viewer"}),
        ("/admin/plugins/analytics/disable", {}),
    ):
        assert viewer.post(path, data).status_code == 403, path
    # Even without a CSRF token (a forged cross-site post) the answer is no.
    assert viewer.post("/admin/roles/new", {"name": "x"}, csrf=False).status_code in (400, 403)
    # Signing out is still allowed.
    assert viewer.post("/admin/logout").status_code == 302


def test_can_a_tenant_admin_change_a_shared_or_platform_admin(
    app, admin_client, make_admin, tenant, other_tenant
):
    shared = make_admin(tenant, other_tenant)
    client = admin_client(tenant)
    shared_id = _admin_id(app, shared)
    assert client.post(f"/admin/admins/{shared_id}/role", {"role": "viewer"}).status_code == 403
    assert client.post(f"/admin/admins/{shared_id}/remove", {"confirm": "y"}).status_code == 403
    local = _admin_id(app, make_admin(tenant))
    response = client.post(f"/admin/admins/{local}/role", {"role": "platform"})
    assert response.status_code == 403 and "Only a platform admin" in response.text


def test_can_nobody_remove_or_demote_themselves(app, admin_client, tenant):
    client = admin_client(platform=True)
    me = _admin_id(app, client.email)
    assert client.post(f"/admin/admins/{me}/remove", {"confirm": "y"}).status_code == 403
    assert client.post(f"/admin/admins/{me}/role", {"role": "viewer"}).status_code == 403
    assert client.get("/admin/").status_code == 200


def test_does_removing_take_a_tenant_admin_off_after_a_confirmation(
    app, admin_client, make_admin, tenant
):
    from authsvc.admins.models import Admin

    email = make_admin(tenant)
    client = admin_client(tenant)
    target = _admin_id(app, email)
    confirm = client.get(f"/admin/admins/{target}/remove")
    assert confirm.status_code == 200 and "cannot be undone" in confirm.text
    assert client.post(f"/admin/admins/{target}/remove", {}).status_code == 400
    assert client.post(f"/admin/admins/{target}/remove", {"confirm": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(Admin, uuid.UUID(target)) is None
    assert AdminClient(app.test_client(), email).login().status_code != 302


def test_does_a_reset_link_set_a_new_password_once(app, admin_client, make_admin, tenant):
    email = make_admin(tenant)
    client = admin_client(tenant)
    target = _admin_id(app, email)
    assert client.post(f"/admin/admins/{target}/reset").status_code == 302
    link = _mail_link(app, tenant, email, "admin_password_reset")
    _, _, done = _fill(app, link, password=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert done.status_code == 302
    assert app.test_client().get(link).status_code == 410
    assert AdminClient(app.test_client(), email).login(PASSWORD).status_code != 302
    assert AdminClient(app.test_client(), email).login(NEW_PASSWORD).status_code == 302


def test_does_an_expired_link_stop_working(app, admin_client, make_admin, tenant):
    from authsvc.admins.models import AdminToken
    from authsvc.db import utcnow

    email = make_admin(tenant)
    client = admin_client(tenant)
    client.post(f"/admin/admins/{_admin_id(app, email)}/reset")
    link = _mail_link(app, tenant, email, "admin_password_reset")
    with app.app_context():
        for token in db.session.execute(sa.select(AdminToken)).scalars():
            if token.email == email:
                token.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert app.test_client().get(link).status_code == 410


def test_are_admin_changes_audited_in_the_tenant(app, admin_client, make_admin, tenant):
    email = make_admin(tenant)
    client = admin_client(tenant)
    client.post(f"/admin/admins/{_admin_id(app, email)}/role", {"role": "viewer"})
    page = client.get("/admin/audit?action=admin.role_changed").text
    assert email in page and "admin.role_changed" in page


def test_does_revoking_an_invitation_kill_its_link_and_only_in_its_tenant(
    app, admin_client, tenant, other_tenant
):
    from authsvc.admins.models import AdminToken

    client = admin_client(tenant)
    email = f"{unique('revoked')}@example.com"
    _invite(client, email)
    link = _mail_link(app, tenant, email, "admin_invitation")
    assert email in client.get("/admin/admins").text, "listed as pending"
    with app.app_context():
        token_id = db.session.execute(
            sa.select(AdminToken.id).where(AdminToken.email == email)
        ).scalar_one()
    # Tenant B's admin cannot see or revoke tenant A's invitation.
    intruder = admin_client(other_tenant)
    assert email not in intruder.get("/admin/admins").text
    path = f"/admin/admins/invitations/{token_id}/revoke"
    assert intruder.post(path, {"confirm": "y"}).status_code == 404
    assert app.test_client().get(link).status_code == 200
    assert client.get(path).status_code == 200
    assert client.post(path, {"confirm": "y"}).status_code == 302
    assert app.test_client().get(link).status_code == 410
    assert client.post(path, {"confirm": "y"}).status_code == 404, "gone once revoked"
