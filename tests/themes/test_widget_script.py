"""The embeddable widget script (/t/<slug>/widget.js): per tenant, themed, cacheable."""

from __future__ import annotations

from authsvc.extensions import db
from authsvc.tenants.models import Tenant
from authsvc.themes import service


def test_widget_script_carries_its_own_tenants_colours_only(app, tenant, other_tenant, client):
    with app.app_context():
        service.update_theme(db.session.get(Tenant, tenant[0]), {"primary_color": "#a1b2c3"})
    script_a = client.get(f"/t/{tenant[1]}/widget.js")
    script_b = client.get(f"/t/{other_tenant[1]}/widget.js")
    assert script_a.status_code == 200 and script_a.mimetype == "text/javascript"
    body_a, body_b = script_a.get_data(as_text=True), script_b.get_data(as_text=True)
    # The properties sit on :host (inside the shadow root), not :root.
    assert ":host {\\n  --authsvc-primary: #a1b2c3;" in body_a
    assert f'"{tenant[1]}", new URL(document.currentScript.src).origin);' in body_a
    assert "#a1b2c3" not in body_b
    assert "customElements.define" in body_a
    assert script_a.headers["Access-Control-Allow-Origin"] == "*"


def test_widget_script_of_an_unknown_tenant_is_not_found(client):
    assert client.get("/t/no-such-tenant/widget.js").status_code == 404


def test_widget_script_is_cacheable_by_theme_version(app, tenant, client):
    with app.app_context():
        version = service.get_theme(db.session.get(Tenant, tenant[0])).version
    current = client.get(f"/t/{tenant[1]}/widget.js?v={version}")
    assert "immutable" in current.headers["Cache-Control"]
    again = client.get(
        f"/t/{tenant[1]}/widget.js", headers={"If-None-Match": current.headers["ETag"]}
    )
    assert again.status_code == 304
