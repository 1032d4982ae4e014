"""Hosted sign-in: themed, labelled forms; session cookie; return_to only to allowed URLs."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.hosted.conftest import PASSWORD, csrf_token, submit, text

PAGES = ["login", "register", "forgot-password", "reset?token=x", "verify?token=x", "logout", ""]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_without_javascript_with_labelled_fields(client, tenant, page):
    response = client.get(f"/t/{tenant[1]}/{page}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<script" not in html
    for input_id in re.findall(r'<input[^>]*\bid="([^"]+)"[^>]*type="(?!hidden)', html):
        assert f'<label class="label" for="{input_id}">' in html, input_id
    assert f'href="/t/{tenant[1]}/theme.css?v=' in html


def test_login_page_links_the_theme_css_carrying_the_tenant_colour(
    app, client, tenant, other_tenant
):
    from authsvc.extensions import db
    from authsvc.tenants.models import Tenant
    from authsvc.themes.service import update_theme

    with app.app_context():
        update_theme(db.session.get(Tenant, tenant[0]), {"primary_color": "#7b2d8e"})
    for slug, expected in ((tenant[1], True), (other_tenant[1], False)):
        html = client.get(f"/t/{slug}/login").get_data(as_text=True)
        css_url = re.search(
            r'<link rel="stylesheet" href="([^"]+)" data-theme="tenant">', html
        ).group(1)
        assert ("#7b2d8e" in client.get(css_url).get_data(as_text=True)) is expected


def test_sign_in_sets_a_tenant_scoped_httponly_cookie_and_shows_who_is_signed_in(
    client, tenant, member
):
    response = submit(
        client, f"/t/{tenant[1]}/login", {"identifier": member["email"], "password": PASSWORD}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/t/{tenant[1]}/account"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("authsvc_hosted=")
    assert f"Path=/t/{tenant[1]}/" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get(f"/t/{tenant[1]}/account")
    assert page.status_code == 200 and member["email"] in text(page)


def test_the_cookie_is_secure_over_https(client, tenant, member):
    response = submit(
        client,
        f"/t/{tenant[1]}/login",
        {"identifier": member["email"], "password": PASSWORD},
        base_url="https://authsvc.test",
    )
    assert "Secure" in response.headers["Set-Cookie"]


def test_the_session_cookie_does_not_work_for_another_tenant(client, tenant, other_tenant, member):
    response = submit(
        client, f"/t/{tenant[1]}/login", {"identifier": member["email"], "password": PASSWORD}
    )
    value = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    client.set_cookie("authsvc_hosted", value, path=f"/t/{other_tenant[1]}/")
    assert client.get(f"/t/{other_tenant[1]}/account").status_code == 303


def test_wrong_password_shows_an_error_and_sets_no_cookie(client, tenant, member):
    response = submit(
        client, f"/t/{tenant[1]}/login", {"identifier": member["email"], "password": "nope-nope"}
    )
    assert response.status_code == 401
    assert "The email/username or password is not correct." in text(response)
    assert "authsvc_hosted" not in response.headers.get("Set-Cookie", "")
    assert f'value="{member["email"]}"' in text(response), "the form keeps the input"


def test_empty_fields_get_errors_next_to_them(client, tenant):
    response = submit(client, f"/t/{tenant[1]}/login", {"identifier": "", "password": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="identifier-error"' in html and 'aria-describedby="identifier-error"' in html
    assert 'id="password-error"' in html


def test_a_post_without_the_csrf_token_signs_nobody_in(client, tenant, member):
    client.get(f"/t/{tenant[1]}/login")
    response = client.post(
        f"/t/{tenant[1]}/login", data={"identifier": member["email"], "password": PASSWORD}
    )
    assert response.status_code == 400 and "authsvc_hosted" not in response.headers.get(
        "Set-Cookie", ""
    )


ALLOWED = ["https://app.example.com/after-login", "https://app.example.com:8443/cb"]


@pytest.fixture
def redirecting_tenant(make_tenant):
    return make_tenant(settings={"redirect_urls": ALLOWED})


@pytest.mark.parametrize(
    "return_to",
    [
        "https://app.example.com/after-login",
        "https://app.example.com/after-login?state=xyz",
        "https://app.example.com/after-login/deeper",
        "https://app.example.com:8443/cb",
    ],
)
def test_sign_in_returns_to_an_allowed_url(client, redirecting_tenant, make_user, return_to):
    user = make_user(redirecting_tenant, password=PASSWORD, is_verified=True)
    url = f"/t/{redirecting_tenant[1]}/login?return_to={quote(return_to, safe='')}"
    response = submit(client, url, {"identifier": user["email"], "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"] == return_to


@pytest.mark.parametrize(
    "return_to",
    [
        "https://evil.example.com/after-login",
        "https://app.example.com/after-loginx",
        "https://app.example.com/",
        "https://app.example.com.evil.example/after-login",
        "https://user@app.example.com/after-login",
        "https://app.example.com\\@evil.example/after-login",
        "//evil.example/after-login",
        "/after-login",
        "javascript:alert(1)//https://app.example.com/after-login",
        "http://app.example.com/after-login",
        "https://app.example.com:8444/cb",
        "https://app.example.com/after-login\r\nX: y",
    ],
)
def test_sign_in_never_redirects_to_a_url_the_tenant_did_not_allow(
    client, redirecting_tenant, make_user, return_to
):
    user = make_user(redirecting_tenant, password=PASSWORD, is_verified=True)
    url = f"/t/{redirecting_tenant[1]}/login?return_to={quote(return_to, safe='')}"
    page = client.get(url)
    assert quote(return_to, safe="") not in page.get_data(as_text=True)
    response = client.post(
        url,
        data={"csrf_token": csrf_token(page), "identifier": user["email"], "password": PASSWORD},
    )
    assert response.headers["Location"] == f"/t/{redirecting_tenant[1]}/account"


def test_hosted_forms_may_redirect_to_the_tenant_app_under_the_csp(client, redirecting_tenant):
    csp = client.get(f"/t/{redirecting_tenant[1]}/login").headers["Content-Security-Policy"]
    form_action = next(d for d in csp.split(";") if d.strip().startswith("form-action"))
    assert form_action.split()[1:] == [
        "'self'",
        "https://app.example.com",
        "https://app.example.com:8443",
    ]


def test_redirect_urls_setting_is_validated(tenant, api_client):
    response = api_client(tenant).patch(
        "/tenant", json={"settings": {"redirect_urls": ["javascript:alert(1)", "https://a@b.c/"]}}
    )
    assert response.status_code == 422
    assert len(response.json["errors"]["settings.redirect_urls"]) == 2


def test_sign_out_ends_the_device_session_and_clears_the_cookie(client, tenant, member):
    signed_in = submit(
        client, f"/t/{tenant[1]}/login", {"identifier": member["email"], "password": PASSWORD}
    )
    stolen = signed_in.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    response = submit(client, f"/t/{tenant[1]}/logout", {})
    assert response.status_code == 303 and response.headers["Location"] == f"/t/{tenant[1]}/login"
    assert "authsvc_hosted=;" in response.headers["Set-Cookie"]
    client.set_cookie("authsvc_hosted", stolen, path=f"/t/{tenant[1]}/")
    assert client.get(f"/t/{tenant[1]}/account").status_code == 303, "the session is revoked"


def test_sign_out_by_get_only_asks_for_confirmation(client, tenant, member):
    submit(client, f"/t/{tenant[1]}/login", {"identifier": member["email"], "password": PASSWORD})
    page = client.get(f"/t/{tenant[1]}/logout")
    assert page.status_code == 200 and member["email"] in text(page)
    assert client.get(f"/t/{tenant[1]}/account").status_code == 200, "still signed in"


def test_hosted_pages_answer_on_the_tenant_domain(client, make_tenant, make_user, verified_domain):
    tenant = make_tenant()
    verified_domain(tenant, "login.acme-domain.test")
    user = make_user(tenant, password=PASSWORD, is_verified=True)
    base = "http://login.acme-domain.test"
    page = client.get("/login", base_url=base)
    assert page.status_code == 200 and f"Sign in to {tenant[1].title()}" in text(page)
    assert 'action="/login"' in page.get_data(as_text=True)
    response = submit(
        client, "/login", {"identifier": user["email"], "password": PASSWORD}, base_url=base
    )
    assert response.headers["Location"] == "/account"
    assert "Path=/;" in response.headers["Set-Cookie"]
    assert client.get("/login", base_url="http://unknown-host.test").status_code == 404


def test_a_tenant_domain_does_not_serve_another_tenants_pages(
    client, tenant, other_tenant, verified_domain
):
    verified_domain(tenant, "login.own-domain.test")
    base = "http://login.own-domain.test"
    assert client.get(f"/t/{other_tenant[1]}/login", base_url=base).status_code == 404
    assert client.get(f"/t/{other_tenant[1]}/login").status_code == 200


@pytest.mark.parametrize(
    "path", ["/t/no-such-tenant/login", "/t/no-such-tenant/theme.css", "/login"]
)
def test_unknown_tenants_and_hosts_get_a_plain_404_page(client, path):
    response = client.get(path, headers={"Accept": "text/html"})
    assert response.status_code == 404 and "404 Not found" in text(response)


def test_a_deactivated_tenant_has_no_hosted_pages(client, tenant, app):
    """Its users are told the service is unavailable (503), not that the link is wrong."""
    from authsvc.extensions import db
    from authsvc.tenants.models import Tenant
    from authsvc.tenants.service import deactivate_tenant

    with app.app_context():
        deactivate_tenant(db.session.get(Tenant, tenant[0]))
    response = client.get(f"/t/{tenant[1]}/login", headers={"Accept": "text/html"})
    assert response.status_code == 503
    assert "unavailable at the moment" in response.text and "No tenant" not in response.text
    assert 'name="password"' not in response.text
    assert client.get(f"/t/{tenant[1]}/theme.css").status_code == 404
