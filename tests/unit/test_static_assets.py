"""Static assets: fingerprinted URLs cached as immutable, compression, the favicon."""

from __future__ import annotations

import gzip
import re

import brotli

from authsvc.static_assets import IMMUTABLE

FINGERPRINTED = re.compile(r'href="(/static/admin/admin\.css\?v=[0-9a-f]{12})"')


def _get(client, url: str, **kw):
    """A static file's response, read and closed (werkzeug streams it from an open file)."""
    response = client.get(url, **kw)
    response.get_data()
    response.close()
    return response


def _admin_css_url(client) -> str:
    match = FINGERPRINTED.search(client.get("/admin/login").text)
    assert match, "the panel links its stylesheet without a fingerprint"
    return match.group(1)


def test_a_fingerprinted_stylesheet_is_cached_as_immutable(client):
    response = _get(client, _admin_css_url(client))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_a_stale_or_missing_fingerprint_is_revalidated_not_pinned(client):
    """An old page's URL must not pin other bytes for a year under its name."""
    for url in ("/static/admin/admin.css", "/static/admin/admin.css?v=000000000000"):
        response = _get(client, url)
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", "")


def test_bootstrap_from_the_package_is_fingerprinted_too(client):
    page = client.get("/admin/login").text
    url = re.search(r'src="(/bootstrap/static/[^"]+bootstrap\.min\.js\?v=\w+)"', page)
    assert url, "Bootstrap's script is not linked with a fingerprint"
    assert _get(client, url.group(1)).headers["Cache-Control"] == IMMUTABLE


def test_css_is_compressed_for_a_browser(client):
    """Brotli, or gzip for a client without it; the body decompresses to the file."""
    url = _admin_css_url(client)
    plain = _get(client, url).get_data()
    response = _get(client, url, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    assert brotli.decompress(response.get_data()) == plain
    gzipped = _get(client, url, headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(gzipped.get_data()) == plain
    assert response.headers["Cache-Control"] == IMMUTABLE


def test_pages_with_csrf_tokens_are_never_compressed(client):
    """Compressing secrets next to reflected input would leak them (BREACH)."""
    response = client.get("/admin/login?next=/admin/x", headers={"Accept-Encoding": "gzip, br"})
    assert "csrf_token" in response.text
    assert "Content-Encoding" not in response.headers


def test_the_favicon_is_served_and_linked(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = _get(client, response.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert 'rel="icon"' in client.get("/admin/login").text
