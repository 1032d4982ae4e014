"""The theme editor: colours reach theme.css and the panel, bad input stays on the form."""

from __future__ import annotations

import base64
import io
import re

VALID = {
    "primary_color": "#aa3300",
    "secondary_color": "#444444",
    "accent_color": "#ffcc00",
    "background_color": "#ffffff",
    "text_color": "#111111",
    "font_stack": '"Inter", Arial, sans-serif',
}
# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_saved_colours_reach_the_tenant_stylesheet_and_the_panel(admin_client, tenant, client):
    admin = admin_client(tenant)
    assert admin.post("/admin/theme", VALID).status_code == 302
    page = admin.get("/admin/theme").text
    css_url = re.search(r'<link rel="stylesheet" href="(/t/[^"]+/theme.css\?v=\d+)"', page).group(1)
    css = client.get(css_url).text
    assert "--authsvc-primary: #aa3300" in css.replace(":#", ": #")
    assert 'value="#aa3300"' in page and 'data-preview="primary_color"' in page


def test_invalid_theme_input_is_kept_and_explained(admin_client, tenant):
    admin = admin_client(tenant)
    bad = admin.post(
        "/admin/theme",
        {**VALID, "primary_color": "red", "custom_css": "@import url(https://evil.example/x.css);"},
    )
    assert bad.status_code == 422
    assert "@import" in bad.text and "invalid-feedback" in bad.text
    assert 'value="red"' in bad.text


def test_logo_upload_and_reset_after_confirmation(admin_client, tenant, client):
    admin = admin_client(tenant)
    refused = admin.post(
        "/admin/theme/assets",
        {"logo": (io.BytesIO(b"GIF89a not allowed"), "logo.gif")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    done = admin.post(
        "/admin/theme/assets",
        {"logo": (io.BytesIO(PNG), "logo.png")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    page = admin.get("/admin/theme").text
    logo = re.search(r'src="(/t/[^"]+/assets/logo\?v=[0-9a-f]+)"', page).group(1)
    assert client.get(logo).data == PNG
    admin.post("/admin/theme", VALID)
    assert admin.post("/admin/theme/reset", {}).status_code == 400, "needs the confirmation"
    admin.post("/admin/theme/reset", {"confirm": "y"})
    page = admin.get("/admin/theme").text
    assert "/assets/logo" not in page and 'value="#aa3300"' not in page


def test_the_default_theme_can_be_saved_unchanged(admin_client, tenant):
    """The editor opens with the default font stack (-apple-system...); saving it must work."""
    admin = admin_client(tenant)
    page = admin.get("/admin/theme").text
    fields = dict(re.findall(r'name="(\w+_color|font_stack)"[^>]*value="([^"]*)"', page))
    fields = {k: v.replace("&#34;", '"').replace("&quot;", '"') for k, v in fields.items()}
    assert len(fields) == 6
    assert admin.post("/admin/theme", fields).status_code == 302
