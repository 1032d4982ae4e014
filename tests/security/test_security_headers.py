"""Security headers: CSP without inline script, per-tenant framing, HSTS over TLS, and friends."""

from __future__ import annotations

import re

import pytest


def _csp(response) -> dict[str, list[str]]:
    directives = [
        part.strip().split() for part in response.headers["Content-Security-Policy"].split(";")
    ]
    return {d[0]: d[1:] for d in directives if d}


def test_hosted_page_policy_allows_no_inline_script_and_no_framing(client, tenant):
    response = client.get(f"/t/{tenant[1]}/")
    csp = _csp(response)
    assert csp["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_a_tenant_can_allow_its_own_sites_to_frame_its_hosted_pages(
    client, tenant, other_tenant, api_client
):
    admin = api_client(tenant)
    settings = {"frame_ancestors": ["https://app.example.com", "https://*.example.org"]}
    assert admin.patch("/tenant", json={"settings": settings}).status_code == 200
    own = client.get(f"/t/{tenant[1]}/")
    assert _csp(own)["frame-ancestors"] == ["https://app.example.com", "https://*.example.org"]
    assert "X-Frame-Options" not in own.headers
    assert _csp(client.get(f"/t/{other_tenant[1]}/"))["frame-ancestors"] == ["'none'"]


def test_frame_ancestors_setting_accepts_only_origins(tenant, api_client):
    response = api_client(tenant).patch(
        "/tenant", json={"settings": {"frame_ancestors": ["javascript:alert(1)", "*"]}}
    )
    assert response.status_code == 422
    assert len(response.json["errors"]["settings.frame_ancestors"]) == 2


def test_admin_panel_can_never_be_framed(client):
    response = client.get("/admin/")
    assert _csp(response)["frame-ancestors"] == ["'none'"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_json_api_answers_carry_a_policy_that_allows_nothing(tenant, api_client):
    response = api_client(tenant).get("/tenant")
    assert (
        response.headers["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"
    )


@pytest.mark.parametrize(
    "path", ["/healthz", "/metrics", "/api/v1/swagger.json", "/admin/", "/t/{slug}/"]
)
def test_every_answer_has_nosniff_and_a_same_origin_referrer_policy(client, tenant, path):
    response = client.get(path.format(slug=tenant[1]))
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_hsts_is_sent_over_tls_only(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers
    secure = client.get("/healthz", base_url="https://authsvc.test")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_swagger_ui_runs_its_inline_script_by_nonce_only(client):
    response = client.get("/api/v1/docs")
    html = response.get_data(as_text=True)
    nonces = re.findall(r'<script nonce="([^"]+)">', html)
    assert len(nonces) == 1
    csp = _csp(response)
    assert csp["script-src"] == ["'self'", f"'nonce-{nonces[0]}'"]
    assert "<script>" not in html and '<script type="text/javascript">' not in html
    assert (
        client.get("/api/v1/docs").headers["Content-Security-Policy"]
        != response.headers["Content-Security-Policy"]
    ), "a fresh nonce per request"


def test_pages_without_inline_script_get_no_nonce(client, tenant):
    assert "nonce-" not in client.get(f"/t/{tenant[1]}/").headers["Content-Security-Policy"]


def test_svg_assets_keep_their_sandbox_policy(app, client, tenant):
    import io

    from authsvc.extensions import db
    from authsvc.tenants.models import Tenant
    from authsvc.themes.service import save_asset

    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="1" height="1"/></svg>'
    with app.app_context():
        save_asset(db.session.get(Tenant, tenant[0]), "logo", "l.svg", io.BytesIO(svg))
    response = client.get(f"/t/{tenant[1]}/assets/logo")
    assert response.headers["Content-Security-Policy"].endswith("sandbox")
