"""GDPR: a user's export holds every table about them; erasure leaves no personal data."""

from __future__ import annotations

import json
import secrets
import uuid

import pytest
import sqlalchemy as sa

from authsvc import events
from authsvc.applications.models import Consent
from authsvc.db import Base
from authsvc.extensions import db
from authsvc.federation.accounts import identity_payload
from authsvc.federation.models import IdentityProvider, UserIdentity
from authsvc.tenancy import platform_scope, tenant_context
from authsvc.users import gdpr

PASSWORD = "gdpr test password 1"


@pytest.fixture
def person(app, api_client, tenant):
    """A user with a session, failed and good sign-ins, a refresh, a reset mail requested,
    a federated identity whose link was an event, an organization membership, a pending
    invitation and a grant to an application: personal data in many tables."""
    admin = api_client(tenant, ["admin"])
    mark = secrets.token_hex(4)
    facts = {
        "email": f"erika.{mark}@example.com",
        "username": f"erika{mark}",
        "display_name": f"Erika Mustermann {mark}",
        "subject": f"provider-subject-{mark}",
        "agent": f"ErikasBrowser/{mark}",
    }
    body = {"email": facts["email"], "username": facts["username"], "password": PASSWORD}
    user = admin.post(
        "/users", json={**body, "display_name": facts["display_name"], "is_verified": True}
    ).json
    ua = {"User-Agent": facts["agent"]}
    admin.post("/auth/login", json={"email": facts["email"], "password": "wrong"}, headers=ua)
    pair = admin.post(
        "/auth/login", json={"email": facts["email"], "password": PASSWORD}, headers=ua
    )
    admin.post("/auth/refresh", json={"refresh_token": pair.json["refresh_token"]}, headers=ua)
    admin.post("/auth/forgot-password", json={"email": facts["email"]})
    orgs = api_client(tenant, ["orgs:write"])
    team, other = (
        orgs.post("/organizations", json={"name": f"Org {n} {mark}", "slug": f"o{n}-{mark}"}).json
        for n in (1, 2)
    )
    member = {"user_id": user["id"], "roles": ["member"]}
    assert orgs.post(f"/organizations/{team['id']}/members", json=member).status_code == 201
    invited = {"email": facts["email"]}
    assert orgs.post(f"/organizations/{other['id']}/invitations", json=invited).status_code == 201
    body = {"name": f"App {mark}", "redirect_uris": ["https://app.example.com/cb"]}
    application = admin.post("/applications", json=body).json
    with app.app_context(), tenant_context(tenant[0]):
        grant = {"application_id": uuid.UUID(application["id"]), "scopes": ["openid", "email"]}
        db.session.add(Consent(user_id=uuid.UUID(user["id"]), **grant))
        provider = IdentityProvider(kind="oidc", display_name="Corp", client_id="corp-client")
        db.session.add(provider)
        db.session.flush()
        identity = UserIdentity(
            provider_id=provider.id, user_id=uuid.UUID(user["id"]), subject=facts["subject"]
        )
        db.session.add(identity)
        db.session.flush()
        data = {"user_id": user["id"], "identity": identity_payload(identity), "via": "oidc"}
        events.emit("identity.linked", data, actor="self")
        db.session.commit()
    return {
        **facts,
        "org": team["slug"],
        "application": application["name"],
        "id": user["id"],
        "admin": admin,
        "token": pair.json["access_token"],
    }


def _text_rows(app) -> list[tuple[str, str]]:
    """(table, text) for every row of every table, its text and JSON columns joined."""
    found = []
    with app.app_context(), platform_scope():
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.JSON)]
            if not columns:
                continue
            for row in db.session.execute(sa.select(*columns)):
                text = " ".join(json.dumps(v, default=str) for v in row if v is not None)
                found.append((table.name, text.lower()))
    return found


def _assert_erased(app, person) -> None:
    personal = [person[k].lower() for k in ("email", "username", "display_name", "subject")]
    personal.append(person["agent"].lower())
    for table, text in _text_rows(app):
        for value in personal:
            assert value not in text, f"{table} still holds {value}"
        if person["id"] in text:
            # Only the erasure's own event and audit entry name the id, for receivers.
            assert "user.deleted" in text and '"erased": true' in text, table


def test_the_export_holds_every_section_and_no_secret(person):
    response = person["admin"].get(f"/users/{person['id']}/export")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    document = json.loads(response.data)
    sections = document["sections"]
    assert sections["profile"]["email"] == person["email"]
    assert sections["sessions"][0]["user_agent"] == person["agent"]
    assert sections["identities"][0]["subject"] == person["subject"]
    memberships = sections["organizations"]["memberships"]
    assert [(m["organization"]["slug"], m["roles"]) for m in memberships] == [
        (person["org"], ["member"])
    ]
    assert [i["state"] for i in sections["organizations"]["invitations"]] == ["pending"]
    assert [g["application"] for g in sections["grants"]] == [person["application"]]
    actions = {entry["action"] for entry in sections["audit"]}
    assert {"user.created", "user.login_failed", "user.login", "identity.linked"} <= actions
    assert "events" not in sections  # the outbox copies what the sections hold
    text = response.get_data(as_text=True)
    assert PASSWORD not in text and "$argon2" not in text and "token_hash" not in text


def test_every_table_that_references_users_is_in_a_section(app):
    """A new table with a user_id must register a section (see authsvc/users/gdpr.py)."""
    covered = {name for section in gdpr.registry(app).sections() for name in section.tables}
    for table in Base.metadata.sorted_tables:
        references = {fk.column.table.name for fk in table.foreign_keys}
        if "users" in references or "user_id" in table.columns or table.name == "users":
            assert table.name in covered, f"{table.name} is in no GDPR section"


def test_an_erased_user_leaves_no_personal_data_in_any_table(app, person):
    admin = person["admin"]
    assert admin.delete(f"/users/{person['id']}", query_string={"erase": "true"}).status_code == 204
    assert admin.get(f"/users/{person['id']}").status_code == 404
    _assert_erased(app, person)
    [entry] = admin.get("/audit", query_string={"action": "user.deleted"}).json["items"]
    assert entry["changes"] == {"user": {"id": person["id"]}, "erased": True}
    failed = admin.get("/audit", query_string={"action": "user.login_failed"}).json["items"]
    # The security log keeps its entries and their shape, named by a tombstone.
    assert failed and failed[0]["target_id"].startswith(gdpr.TOMBSTONE_PREFIX)
    assert failed[0]["changes"]["identifier"] == failed[0]["target_id"]


def test_a_user_erases_their_own_account_after_giving_the_password(app, person):
    admin, bearer = person["admin"], {"Authorization": f"Bearer {person['token']}"}
    mine = admin.get("/me/export", headers=bearer)
    assert json.loads(mine.data)["sections"]["profile"]["id"] == person["id"]
    refused = admin.post("/me/delete", json={"password": "not my password"}, headers=bearer)
    assert refused.status_code == 401
    assert admin.get(f"/users/{person['id']}").status_code == 200
    assert admin.post("/me/delete", json={"password": PASSWORD}, headers=bearer).status_code == 204
    assert admin.get("/me", headers=bearer).status_code == 401  # the session died with it
    _assert_erased(app, person)


def test_a_bad_erase_flag_is_refused_and_changes_nothing(person):
    admin = person["admin"]
    response = admin.delete(f"/users/{person['id']}", query_string={"erase": "perhaps"})
    assert response.status_code == 422
    assert admin.get(f"/users/{person['id']}").status_code == 200


def test_another_tenant_can_neither_export_nor_erase(person, api_client, other_tenant):
    attacker = api_client(other_tenant, ["admin"])
    assert attacker.get(f"/users/{person['id']}/export").status_code == 404
    erase = attacker.delete(f"/users/{person['id']}", query_string={"erase": "true"})
    assert erase.status_code == 404
    assert person["admin"].get(f"/users/{person['id']}").status_code == 200


def test_sections_cannot_be_added_once_exports_started(app, person):
    person["admin"].get(f"/users/{person['id']}/export")
    late = gdpr.Section("late", ("users",), None, lambda user, erasure: None)
    with pytest.raises(gdpr.RegistryFrozen):
        gdpr.register_section(app, late)
