"""Themes: validated colours, per-tenant stylesheets, safe uploads, template overrides."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from authsvc.errors import ValidationFailed
from authsvc.extensions import db
from authsvc.tenants.models import Tenant
from authsvc.themes import service


def _tenant_row(tenant):
    return db.session.get(Tenant, tenant[0])


def _update(app, tenant, **data):
    with app.app_context():
        return service.update_theme(_tenant_row(tenant), data)


def _upload(app, tenant, kind, filename, data):
    with app.app_context():
        return service.save_asset(_tenant_row(tenant), kind, filename, io.BytesIO(data))


def tiny_png() -> bytes:
    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_colours_must_be_hex_and_are_normalised(app, tenant):
    with pytest.raises(ValidationFailed) as failed:
        _update(app, tenant, primary_color="red", accent_color="#12345", text_color="#FFF")
    errors = failed.value.extra["errors"]
    # All reported at once: white text is valid hex but unreadable on the white background.
    assert set(errors) == {"primary_color", "accent_color", "text_color"}
    theme = _update(app, tenant, primary_color="#AbC", text_color="#0A0B0C")
    assert (theme.primary_color, theme.text_color) == ("#aabbcc", "#0a0b0c")


@pytest.mark.parametrize(
    "font",
    ["Inter; } body { background: url(https://evil.example) }", "a" * 400, "Inter, url(x)", ""],
)
def test_font_stack_refuses_anything_but_font_names(app, tenant, font):
    with pytest.raises(ValidationFailed) as failed:
        _update(app, tenant, font_stack=font)
    assert set(failed.value.extra["errors"]) == {"font_stack"}


def test_unknown_fields_and_forbidden_css_are_reported_by_field_and_nothing_is_saved(
    app, tenant, client
):
    with pytest.raises(ValidationFailed) as failed:
        _update(app, tenant, primary_color="#010203", custom_css="@import 'x.css';", logo="x")
    assert set(failed.value.extra["errors"]) == {"custom_css", "logo"}
    assert "#010203" not in client.get(f"/t/{tenant[1]}/theme.css").get_data(as_text=True)


def test_theme_css_is_per_tenant_and_a_colour_of_a_never_reaches_b(
    app, tenant, other_tenant, client
):
    _update(app, tenant, primary_color="#a1b2c3", font_stack='"Brand Sans", sans-serif')
    css_a = client.get(f"/t/{tenant[1]}/theme.css")
    css_b = client.get(f"/t/{other_tenant[1]}/theme.css")
    assert css_a.status_code == 200 and css_a.mimetype == "text/css"
    assert "--authsvc-primary: #a1b2c3;" in css_a.get_data(as_text=True)
    assert '--authsvc-font: "Brand Sans", sans-serif;' in css_a.get_data(as_text=True)
    assert "#a1b2c3" not in css_b.get_data(as_text=True)
    assert "--authsvc-primary: #2563eb;" in css_b.get_data(as_text=True)


def test_theme_css_is_cacheable_by_version_and_etag(app, tenant, client):
    theme = _update(app, tenant, accent_color="#00ff00")
    current = client.get(f"/t/{tenant[1]}/theme.css?v={theme.version}")
    assert "immutable" in current.headers["Cache-Control"]
    again = client.get(
        f"/t/{tenant[1]}/theme.css", headers={"If-None-Match": current.headers["ETag"]}
    )
    assert again.status_code == 304 and "no-cache" in again.headers["Cache-Control"]
    newer = _update(app, tenant, accent_color="#0000ff")
    assert newer.version == theme.version + 1
    with app.app_context():
        assert service.theme_css_url(_tenant_row(tenant)).endswith(f"?v={newer.version}")


def test_custom_css_is_served_as_written_as_its_own_stylesheet(app, tenant, other_tenant, client):
    css = "/* hi */\n.card {\n  border: 2px solid var(--authsvc-accent);\n}"
    _update(app, tenant, custom_css=css)
    response = client.get(f"/t/{tenant[1]}/custom.css")
    assert response.mimetype == "text/css"
    assert response.get_data(as_text=True) == css + "\n", "comments and line breaks kept"
    assert client.get(f"/t/{other_tenant[1]}/custom.css").status_code == 404


def test_reset_restores_defaults_and_removes_assets(app, tenant, client):
    _update(app, tenant, primary_color="#111111", custom_css=".a { color: red; }")
    _upload(app, tenant, "logo", "logo.png", tiny_png())
    with app.app_context():
        theme = service.reset_theme(_tenant_row(tenant))
        values = service.resolve_theme(_tenant_row(tenant))
    assert theme.primary_color == "#2563eb" and theme.custom_css is None
    assert values["logo_url"] is None and values["custom_css_url"] is None
    assert client.get(f"/t/{tenant[1]}/assets/logo").status_code == 404


def test_png_logo_is_stored_and_served_with_its_real_type(app, tenant, client):
    _upload(app, tenant, "logo", "Logo.PNG", tiny_png())
    with app.app_context():
        url = service.resolve_theme(_tenant_row(tenant))["logo_url"]
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == tiny_png() and response.headers["X-Content-Type-Options"] == "nosniff"


HOSTILE_SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"
     width="10" height="10" onload="alert(1)">
  <script>alert(document.cookie)</script>
  <rect width="10" height="10" fill="#123456" onclick="alert(2)"/>
  <a xlink:href="javascript:alert(3)"><circle r="4"/></a>
  <foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="https://evil.example"/></foreignObject>
  <set attributeName="href" to="javascript:alert(4)"/>
  <image href="https://evil.example/track.png"/>
</svg>"""


def test_svg_upload_cannot_run_script(app, tenant, client):
    _upload(app, tenant, "logo", "logo.svg", HOSTILE_SVG)
    response = client.get(f"/t/{tenant[1]}/assets/logo")
    body = response.get_data(as_text=True).lower()
    assert response.mimetype == "image/svg+xml"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    for gone in ("<script", "onload", "onclick", "javascript:", "foreignobject", "evil.example"):
        assert gone not in body, gone
    assert "#123456" in body, "the drawing itself is kept"


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("logo.png", b"<html><script>alert(1)</script></html>", "PNG, SVG or ICO"),
        ("logo.svg", None, "but the file is png"),
        ("logo.png", b"x" * (300 * 1024), "larger than"),
        ("logo.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]><svg/>', "DTD"),
        (
            "logo.svg",
            b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>",
            "not an SVG",
        ),
        ("logo.gif", b"GIF89a....", "PNG, SVG or ICO"),
    ],
)
def test_uploads_are_sniffed_and_size_limited(app, tenant, filename, data, reason):
    with pytest.raises(ValidationFailed) as failed:
        _upload(app, tenant, "favicon", filename, tiny_png() if data is None else data)
    assert reason in failed.value.extra["errors"]["favicon"][0]


def test_ico_favicon_is_accepted(app, tenant, client):
    ico = b"\x00\x00\x01\x00\x01\x00" + b"\x10\x10\x00\x00\x01\x00\x20\x00" + b"\x00" * 40
    _upload(app, tenant, "favicon", "favicon.ico", ico)
    assert client.get(f"/t/{tenant[1]}/assets/favicon").mimetype == "image/x-icon"


def test_template_override_is_used_for_its_tenant_only(
    app, tenant, other_tenant, client, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "THEMES_TEMPLATES_PATH", str(tmp_path))
    folder = tmp_path / tenant[1] / "hosted"
    folder.mkdir(parents=True)
    (folder / "home.html").write_text(
        '{% extends "hosted/home.html" %}{% block content %}<p>Welcome to the override</p>'
        "{{ super() }}{% endblock %}"
    )
    own = client.get(f"/t/{tenant[1]}/").get_data(as_text=True)
    other = client.get(f"/t/{other_tenant[1]}/").get_data(as_text=True)
    assert "Welcome to the override" in own and f"<h1>{tenant[1].title()}</h1>" in own
    assert "Welcome to the override" not in other


def test_security_critical_templates_cannot_be_overridden(
    app, tenant, client, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "THEMES_TEMPLATES_PATH", str(tmp_path))
    folder = tmp_path / tenant[1] / "errors"
    folder.mkdir(parents=True)
    (folder / "error.html").write_text("hijacked")
    response = client.get(f"/t/{tenant[1]}/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404 and "hijacked" not in response.get_data(as_text=True)


def test_text_that_cannot_be_read_on_the_background_is_refused_at_save(app, tenant):
    """#777777 on white is 4.48:1, just under WCAG AA; nothing is stored."""
    with pytest.raises(ValidationFailed) as failed:
        _update(app, tenant, text_color="#777777", background_color="#ffffff")
    assert "4.48:1" in failed.value.extra["errors"]["text_color"][0]
    # A background change alone is checked against the stored text colour.
    with pytest.raises(ValidationFailed) as failed:
        _update(app, tenant, background_color="#222222")
    assert set(failed.value.extra["errors"]) == {"background_color"}
    assert _update(app, tenant, text_color="#767676").text_color == "#767676"


@pytest.mark.parametrize(
    ("primary", "on_primary", "link"),
    [("#28a745", "#000000", "#111827"), ("#1e3a8a", "#ffffff", "#1e3a8a")],
)
def test_text_on_the_brand_colour_is_computed_to_stay_readable(
    app, tenant, client, primary, on_primary, link
):
    """A green brand colour gets black text (white on it is 3.1:1); links fall back to text."""
    from authsvc.themes.contrast import contrast_ratio

    _update(app, tenant, primary_color=primary)
    css = client.get(f"/t/{tenant[1]}/theme.css").text
    assert f"--authsvc-on-primary: {on_primary};" in css
    assert f"--authsvc-link: {link};" in css
    assert contrast_ratio(on_primary, primary) >= 4.5
    assert contrast_ratio(link, "#ffffff") >= 4.5
