"""URL settings are parsed strictly, and headers are built from parsed origins only."""

from __future__ import annotations

import pytest

INJECTION = "https://x.test;script-src-elem *;/cb"
BAD_URLS = [
    INJECTION,
    "https://x.test,https://evil.test/cb",
    "https://x.test /cb",
    "https://x.test/c b",
    "https://x.test/'cb",
    'https://x.test/"cb',
    "https://x.test\\cb",
    "https://x.test/cb\x0b",
    "https://user:pw@x.test/cb",
    "https://x.test<script>/cb",
    "ftp://x.test/cb",
    "https:///cb",
    "https://exämple.test/cb",
    "https://x.test:99999/cb",
    "https://-x.test/cb",
]


def _csp(response) -> dict[str, list[str]]:
    directives = [p.strip().split() for p in response.headers["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def test_a_redirect_url_cannot_inject_a_csp_directive(client, tenant, api_client):
    response = api_client(tenant).patch(
        "/tenant", json={"settings": {"redirect_urls": [INJECTION]}}
    )
    assert response.status_code == 422
    assert response.json["errors"]["settings.redirect_urls"]
    csp = _csp(client.get(f"/t/{tenant[1]}/login"))
    assert "script-src-elem" not in csp and csp["form-action"] == ["'self'"]


def test_can_a_setting_stored_before_the_checks_reach_the_policy(app, client, tenant):
    """Values saved before strict validation are parsed again when a header is built."""
    from authsvc.extensions import db
    from authsvc.tenants.models import Tenant

    with app.app_context():
        row = db.session.get(Tenant, tenant[0])
        row.settings = {
            **row.settings,
            "redirect_urls": [INJECTION, "https://app.example.com/cb"],
            "frame_ancestors": ["https://a.test; script-src *", "https://*.example.org"],
        }
        db.session.commit()
    csp = _csp(client.get(f"/t/{tenant[1]}/login"))
    assert "script-src-elem" not in csp and csp["script-src"][:1] == ["'self'"]
    assert "*" not in csp["script-src"]
    assert csp["form-action"] == ["'self'", "https://app.example.com"]
    assert csp["frame-ancestors"] == ["https://*.example.org"]


@pytest.mark.parametrize("bad", BAD_URLS)
@pytest.mark.parametrize("setting", ["redirect_urls", "cors_origins", "frame_ancestors"])
def test_is_every_url_setting_refused_with_unsafe_characters_or_parts(
    tenant, api_client, setting, bad
):
    response = api_client(tenant).patch("/tenant", json={"settings": {setting: [bad]}})
    assert response.status_code == 422, (setting, bad)
    assert len(response.json["errors"][f"settings.{setting}"]) == 1


@pytest.mark.parametrize("setting", ["cors_origins", "frame_ancestors"])
def test_is_an_origin_setting_refused_with_a_path(tenant, api_client, setting):
    response = api_client(tenant).patch(
        "/tenant", json={"settings": {setting: ["https://app.example.com/x"]}}
    )
    assert response.status_code == 422


def test_does_production_require_https_except_on_loopback(app, tenant, api_client, monkeypatch):
    monkeypatch.setitem(app.config, "ENV", "production")
    admin = api_client(tenant)
    for setting, value in (
        ("redirect_urls", "http://app.example.com/cb"),
        ("cors_origins", "http://app.example.com"),
    ):
        response = admin.patch("/tenant", json={"settings": {setting: [value]}})
        assert response.status_code == 422, setting
        assert "https" in response.json["errors"][f"settings.{setting}"][0]
    local = {
        "redirect_urls": ["http://localhost:3000/cb"],
        "cors_origins": ["http://127.0.0.1:3000"],
    }
    assert admin.patch("/tenant", json={"settings": local}).status_code == 200


def test_are_valid_url_settings_accepted_and_rendered_as_origins(client, tenant, api_client):
    settings = {
        "redirect_urls": ["https://app.example.com:8443/cb?x=1", "http://[::1]:3000/cb"],
        "cors_origins": ["https://app.example.com"],
        "frame_ancestors": ["https://*.example.org", "https://192.0.2.1:8443"],
    }
    assert api_client(tenant).patch("/tenant", json={"settings": settings}).status_code == 200
    csp = _csp(client.get(f"/t/{tenant[1]}/login"))
    assert csp["form-action"] == ["'self'", "https://app.example.com:8443", "http://[::1]:3000"]
    assert csp["frame-ancestors"] == ["https://*.example.org", "https://192.0.2.1:8443"]
