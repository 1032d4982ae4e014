"""Federated sign-in on a tenant's verified custom domain: its callback URL is listed to
register at the provider, and the sign-in comes back to the domain it started on."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.conftest import unique
from tests.federation.conftest import authenticate_at_provider, register_oidc_provider


def test_are_verified_domains_callbacks_listed_and_pending_ones_not(
    api_client, tenant, verified_domain, loopback_issuers
):
    admin = api_client(tenant, ["admin"])
    domain = f"login.{tenant[1]}.example.com"
    verified_domain(tenant, domain)
    pending = f"pending.{tenant[1]}.example.com"
    assert admin.patch("/tenant", json={"domains": [domain, pending]}).status_code == 200
    body = {"kind": "google", "display_name": "Google", "client_id": "c"}
    provider = admin.post("/identity-providers", json=body).json
    assert provider["redirect_uris"] == [
        provider["redirect_uri"],
        f"http://{domain}/login/{provider['id']}/callback",
    ]
    assert provider["redirect_uri"].startswith("http://localhost/t/")


def test_does_a_sign_in_started_on_the_custom_domain_come_back_there(
    app, api_client, tenant, verified_domain, oidc_issuer, loopback_issuers
):
    admin = api_client(tenant, ["admin"])
    domain = f"login.{tenant[1]}.example.com"
    verified_domain(tenant, domain)
    provider = register_oidc_provider(admin, oidc_issuer)
    browser = app.test_client()
    origin = f"http://{domain}"
    started = browser.get(f"/login/{provider['id']}", base_url=origin)
    assert started.status_code == 302, started.text
    sent = parse_qs(urlsplit(started.headers["Location"]).query)["redirect_uri"]
    assert sent == [f"{origin}/login/{provider['id']}/callback"]
    login = unique("dom")
    callback = urlsplit(authenticate_at_provider(started.headers["Location"], login, origin=origin))
    done = browser.get(f"{callback.path}?{callback.query}", base_url=origin)
    assert done.status_code == 303, done.text
    assert done.headers["Location"] == "/account"
    (user,) = admin.get("/users", query_string={"email": f"{login}@idp.example"}).json["items"]
    assert user["is_verified"] is True
