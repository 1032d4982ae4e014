"""``/api/v1/applications``: registration rules, the secret shown once, scope ``admin``."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from authsvc.applications.models import Application
from authsvc.extensions import db
from authsvc.tenancy import tenant_context

BODY = {"name": "CRM", "redirect_uris": ["https://crm.example.com/cb"]}


def test_a_confidential_secret_is_shown_once_and_stored_hashed(app, admin, tenant):
    created = admin.post("/applications", json=BODY)
    assert created.status_code == 201
    secret = created.json["client_secret"]
    assert secret.startswith("cs_") and created.json["client_type"] == "confidential"
    read = admin.get(f"/applications/{created.json['id']}").json
    assert "client_secret" not in read and secret not in str(admin.get("/applications").json)
    with app.app_context(), tenant_context(tenant[0]):
        stored = db.session.execute(sa.select(Application.client_secret_hash)).scalar_one()
    assert stored == hashlib.sha256(secret.encode()).hexdigest()
    events = admin.get("/events", query_string={"type": "application.created"}).json["items"]
    assert secret not in str(events) and events[0]["data"]["application"]["name"] == "CRM"


def test_rotating_the_secret_shows_a_new_one(admin):
    created = admin.post("/applications", json=BODY).json
    rotated = admin.post(f"/applications/{created['id']}/rotate-secret")
    assert rotated.status_code == 200
    assert rotated.json["client_secret"] not in (None, created["client_secret"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"redirect_uris": ["https://*.example.com/cb"]}, "redirect_uris"),
        ({"redirect_uris": ["https://crm.example.com/cb#frag"]}, "redirect_uris"),
        ({"redirect_uris": ["javascript:alert(1)"]}, "redirect_uris"),
        ({"redirect_uris": []}, "redirect_uris"),
        ({"grant_types": ["password"]}, "grant_types"),
        ({"scopes": ["admin"]}, "scopes"),
        ({"access_token_ttl_seconds": 10**9}, "access_token_ttl_seconds"),
        ({"client_type": "public", "grant_types": ["client_credentials"]}, "grant_types"),
    ],
)
def test_bad_registrations_are_refused_and_nothing_is_written(admin, change, field):
    refused = admin.post("/applications", json={**BODY, **change})
    assert refused.status_code in (400, 422), refused.json
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert field in str(refused.json)
    assert admin.get("/applications").json == []


def test_change_and_delete(admin):
    created = admin.post("/applications", json=BODY).json
    changed = admin.patch(f"/applications/{created['id']}", json={"first_party": True})
    assert changed.status_code == 200 and changed.json["first_party"] is True
    refused = admin.patch(f"/applications/{created['id']}", json={"redirect_uris": ["x"]})
    assert refused.status_code == 422
    assert (
        admin.get(f"/applications/{created['id']}").json["redirect_uris"] == BODY["redirect_uris"]
    )
    assert admin.delete(f"/applications/{created['id']}").status_code == 204
    assert admin.get(f"/applications/{created['id']}").status_code == 404


def test_an_auth_only_key_cannot_manage_applications(api_client, tenant):
    auth_only = api_client(tenant, ["auth"])
    assert auth_only.get("/applications").status_code == 403
    assert auth_only.post("/applications", json=BODY).status_code == 403
