"""``authsvc tenants export`` / ``import``: a populated tenant moves to a fresh database."""

from __future__ import annotations

import json
import uuid

import httpx
import pyotp
import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from authsvc.apikeys.service import create_api_key
from authsvc.applications.models import Consent
from authsvc.errors import NotFound
from authsvc.extensions import db
from authsvc.federation.models import IdentityProvider, UserIdentity
from authsvc.federation.service import client_secret
from authsvc.tenancy import tenant_context
from authsvc.tenants.service import get_tenant_by_slug
from authsvc.webhooks import signing
from authsvc.webhooks.models import WebhookEndpoint
from tests.conftest import make_app, unique
from tests.provider.conftest import APP_HOST, OAuth2Client

PASSWORD = "transfer test password"
KEY = {"AUTHSVC_TRANSFER_KEY": "a passphrase for the move"}


@pytest.fixture
def fresh_app(fresh_database_url, tmp_path):
    """An app on a new, empty, migrated database with another SECRET_KEY: the new instance."""
    app = make_app(
        fresh_database_url, tmp_path, SECRET_KEY="another-instance-secret-key-0123456789abcdef"
    )
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def populated(app, api_client, tenant):
    """A tenant with a custom role and theme, a user with TOTP, a provider with a secret and
    a link, and a webhook."""
    admin = api_client(tenant, ["admin"])
    admin.patch("/tenant", json={"settings": {"auth": {"lockout_threshold": 7}}})
    user = admin.post(
        "/users", json={"email": "ada@example.com", "password": PASSWORD, "is_verified": True}
    ).json
    admin.post("/users", json={"email": "bo@example.com", "username": "bob", "password": PASSWORD})
    token = admin.post("/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
    bearer = {"Authorization": f"Bearer {token.json['access_token']}"}
    seed = admin.post("/me/mfa/totp", headers=bearer).json["secret"]
    confirm = {"code": pyotp.TOTP(seed).now()}
    assert admin.post("/me/mfa/totp/confirm", json=confirm, headers=bearer).status_code == 200
    provider = {"kind": "google", "display_name": "G", "client_id": "cid", "client_secret": "cs"}
    provider = admin.post("/identity-providers", json=provider).json
    hook = admin.post("/webhooks", json={"url": "https://hooks.example.com/in"}).json
    with app.app_context(), tenant_context(tenant[0]):
        ids = {"provider_id": uuid.UUID(provider["id"]), "user_id": uuid.UUID(user["id"])}
        link = {**ids, "subject": "g-123"}
        db.session.add(UserIdentity(**link))
        db.session.commit()
    return {"user": user, "seed": seed, "provider": provider, "hook": hook, "slug": tenant[1]}


def _export(app, slug: str, env=KEY):
    return app.test_cli_runner().invoke(args=["tenants", "export", slug], env=env)


def _import(app, path, *args, env=KEY):
    return app.test_cli_runner().invoke(args=["tenants", "import", str(path), *args], env=env)


def test_an_exported_tenant_imports_into_a_fresh_database_and_its_users_sign_in(
    app, fresh_app, populated, tmp_path
):
    exported = _export(app, populated["slug"])
    assert exported.exit_code == 0, exported.output
    document = json.loads(exported.stdout)
    text = exported.stdout
    assert PASSWORD not in text and populated["seed"] not in text and '"cs"' not in text
    path = tmp_path / "tenant.json"
    path.write_text(exported.stdout)
    imported = _import(fresh_app, path)
    assert imported.exit_code == 0, imported.output
    with fresh_app.app_context():
        tenant = get_tenant_by_slug(populated["slug"])
        assert tenant.settings["auth"]["lockout_threshold"] == 7
        with tenant_context(tenant.id):
            _key, plaintext = create_api_key("after-move", ["admin"])
            provider = db.session.execute(
                sa.select(IdentityProvider).where(
                    IdentityProvider.id == uuid.UUID(populated["provider"]["id"])
                )
            ).scalar_one()
            assert client_secret(provider) == "cs" and provider.enabled
            hook = db.session.execute(sa.select(WebhookEndpoint)).scalar_one()
            secret = signing.unseal(hook.secret_sealed, fresh_app.config["SECRET_KEY"])
            assert secret == populated["hook"]["secret"] and hook.is_active is False
    client, headers = fresh_app.test_client(), {"X-API-Key": plaintext}
    login = client.post(
        "/api/v1/auth/login", json={"username": "bob", "password": PASSWORD}, headers=headers
    )
    assert login.status_code == 200, login.json
    challenge = client.post(
        "/api/v1/auth/login",
        json={"email": "ada@example.com", "password": PASSWORD},
        headers=headers,
    ).json
    code = {"mfa_token": challenge["mfa_token"], "code": pyotp.TOTP(populated["seed"]).now()}
    signed_in = client.post("/api/v1/auth/mfa", json=code, headers=headers)
    assert signed_in.status_code == 200, signed_in.json
    me = client.get(
        "/api/v1/me",
        headers={**headers, "Authorization": "Bearer " + signed_in.json["access_token"]},
    )
    assert me.json["id"] == populated["user"]["id"]  # ids survive the move
    assert len(document["users"]) == 2


def test_without_a_key_totp_users_refuse_the_export(app, populated):
    refused = _export(app, populated["slug"], env={"AUTHSVC_TRANSFER_KEY": ""})
    assert refused.exit_code != 0
    assert "secrets-key" in refused.output and "{" not in refused.stdout


def test_a_wrong_key_or_a_tampered_file_imports_nothing(app, fresh_app, populated, tmp_path):
    document = json.loads(_export(app, populated["slug"]).stdout)
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(document))
    wrong = _import(fresh_app, path, env={"AUTHSVC_TRANSFER_KEY": "not the passphrase at all"})
    assert wrong.exit_code != 0 and "key" in wrong.output
    document["users"][1]["password_hash"] = "$argon2id$v=19$m=4194304,t=100,p=64$c2FsdA$aGFzaA"
    path.write_text(json.dumps(document))
    costly = _import(fresh_app, path)
    assert costly.exit_code != 0 and "password_hash" in costly.output
    path.write_text("{not json")
    assert _import(fresh_app, path).exit_code != 0
    with fresh_app.app_context():
        from authsvc.tenants.service import list_tenants

        assert [t.slug for t in list_tenants()] == []


def test_an_import_under_another_slug_copies_the_tenant_beside_itself(app, populated, tmp_path):
    path = tmp_path / "tenant.json"
    path.write_text(_export(app, populated["slug"]).stdout)
    copy = unique("copy")
    assert _import(app, path, "--as", copy).exit_code == 0
    again = _import(app, path, "--as", copy)
    assert again.exit_code != 0 and "already exists" in again.output


def test_organizations_permissions_and_applications_move_with_the_tenant(
    app, fresh_app, populated, api_client, tenant, tmp_path
):
    """Ids, members and their roles, the permission catalogue, an application's client id
    and secret (a client_credentials token with the old secret), and a user's grant."""
    admin = api_client(tenant, ["admin"])
    assert admin.post("/permissions", json={"name": "documents:read"}).status_code == 201
    role = {"name": "editor", "permissions": ["documents:read"]}
    assert admin.post("/roles", json=role).status_code == 201
    org = admin.post("/organizations", json={"name": "Acme Labs", "slug": "labs"}).json
    member = {"user_id": populated["user"]["id"], "roles": ["editor"]}
    assert admin.post(f"/organizations/{org['id']}/members", json=member).status_code == 201
    registered = {
        "name": "Reports",
        "redirect_uris": ["https://reports.example.com/cb"],
        "grant_types": ["authorization_code", "client_credentials"],
    }
    application = admin.post("/applications", json=registered).json
    with app.app_context(), tenant_context(tenant[0]):
        ids = {"user_id": uuid.UUID(populated["user"]["id"])}
        db.session.add(
            Consent(**ids, application_id=uuid.UUID(application["id"]), scopes=["openid"])
        )
        db.session.commit()
    exported = _export(app, populated["slug"])
    assert exported.exit_code == 0, exported.output
    assert application["client_secret"] not in exported.stdout
    path = tmp_path / "tenant.json"
    path.write_text(exported.stdout)
    assert _import(fresh_app, path).exit_code == 0
    with fresh_app.app_context():
        moved = get_tenant_by_slug(populated["slug"])
        with tenant_context(moved.id):
            _key, plaintext = create_api_key("after-move", ["admin"])
    moved_admin = fresh_app.test_client()
    headers = {"X-API-Key": plaintext}
    members = moved_admin.get(f"/api/v1/organizations/{org['id']}/members", headers=headers)
    assert [(m["user_id"], m["roles"]) for m in members.json["items"]] == [
        (populated["user"]["id"], ["editor"])
    ]
    permissions = moved_admin.get("/api/v1/permissions", headers=headers).json
    assert [p["name"] for p in permissions] == ["documents:read"]
    found = moved_admin.get(f"/api/v1/applications/{application['id']}", headers=headers).json
    assert found["client_id"] == application["client_id"]
    relying_party = OAuth2Client(
        client_id=application["client_id"],
        client_secret=application["client_secret"],
        transport=httpx.WSGITransport(app=fresh_app),
        base_url=APP_HOST,
    )
    token = relying_party.fetch_token(
        f"/t/{populated['slug']}/oauth2/token", grant_type="client_credentials"
    )
    assert token["access_token"]
    with fresh_app.app_context(), tenant_context(moved.id):
        grant = db.session.execute(sa.select(Consent)).scalar_one()
        assert str(grant.user_id) == populated["user"]["id"] and grant.scopes == ["openid"]


def test_an_application_with_a_forged_secret_hash_imports_nothing(
    app, fresh_app, populated, api_client, tenant, tmp_path
):
    registered = {"name": "Reports", "redirect_uris": ["https://reports.example.com/cb"]}
    api_client(tenant, ["admin"]).post("/applications", json=registered)
    document = json.loads(_export(app, populated["slug"]).stdout)
    document["applications"][0]["client_secret_hash"] = "not a hash"
    path = tmp_path / "tenant.json"
    path.write_text(json.dumps(document))
    refused = _import(fresh_app, path)
    assert refused.exit_code != 0 and "client_secret_hash" in refused.output
    with fresh_app.app_context(), pytest.raises(NotFound):
        get_tenant_by_slug(populated["slug"])
