"""Custom domains: what may be claimed, pending until proven, and only then routing."""

from __future__ import annotations

import pytest

from tests.conftest import unique
from tests.fixtures.domains import VERIFY_PATH, pending_state

PLATFORM = "http://authsvc.test"  # BASE_URL of the test app


def _domain() -> str:
    return f"{unique('login')}.example.com"


def _claim(api_client, tenant) -> tuple:
    """Claim a fresh domain for ``tenant``: (its admin client, the name, what to publish)."""
    name = _domain()
    admin = api_client(tenant)
    assert admin.patch("/tenant", json={"domains": [name]}).status_code == 200
    return admin, name, pending_state(admin, name)["verification"]


@pytest.mark.parametrize(
    "claimed",
    [
        "authsvc.test",
        "AUTHSVC.TEST",
        "authsvc.test.",
        "ａｕｔｈｓｖｃ.test",  # full-width letters: the same name after IDNA mapping
        "login.authsvc.test",
        "a.b.authsvc.test",
    ],
)
def test_can_a_tenant_claim_the_platform_host_or_its_subdomains(
    client, api_client, tenant, other_tenant, claimed
):
    response = api_client(tenant).patch("/tenant", json={"domains": [claimed]})
    assert response.status_code == 422
    assert "platform" in response.json["errors"]["domains"][0]
    assert api_client(tenant).get("/tenant").json["domains"] == []
    # The other tenants' pages on the platform host keep working; /login serves no tenant.
    assert client.get(f"/t/{other_tenant[1]}/login", base_url=PLATFORM).status_code == 200
    assert client.get("/login", base_url=PLATFORM).status_code == 404


def test_may_subdomains_of_the_platform_be_claimed_when_the_operator_allows_it(
    app, api_client, tenant, monkeypatch
):
    monkeypatch.setitem(app.config, "TENANT_SUBDOMAINS_ALLOWED", True)
    admin = api_client(tenant)
    name = f"{tenant[1]}.authsvc.test"
    assert admin.patch("/tenant", json={"domains": [name]}).status_code == 200
    assert pending_state(admin, name)["status"] == "pending"
    assert admin.patch("/tenant", json={"domains": ["authsvc.test"]}).status_code == 422


@pytest.mark.parametrize(
    "claimed",
    ["127.0.0.1", "10.0.0.1", "::1", "[::1]", "localhost", "acme", "*.acme.test", "http://a.test"],
)
def test_are_ip_addresses_and_non_host_names_refused(api_client, tenant, claimed):
    response = api_client(tenant).patch("/tenant", json={"domains": [claimed]})
    assert response.status_code == 422
    assert len(response.json["errors"]["domains"]) == 1


def test_is_an_internationalised_domain_stored_in_its_ascii_form(api_client, tenant):
    admin = api_client(tenant)
    name = f"bücher-{tenant[1]}.example"
    assert admin.patch("/tenant", json={"domains": [name]}).status_code == 200
    assert admin.get("/tenant").json["domains"][0].startswith("xn--")


def test_does_a_pending_domain_route_nothing(client, api_client, tenant, other_tenant):
    admin, name, _verification = _claim(api_client, tenant)
    state = pending_state(admin, name)
    assert state["status"] == "pending" and state["verified_at"] is None
    assert state["verification"]["dns"]["name"] == f"_authsvc-challenge.{name}"
    assert client.get("/login", base_url=f"http://{name}").status_code == 404
    assert client.get(f"/t/{other_tenant[1]}/login", base_url=f"http://{name}").status_code == 200


def test_does_a_dns_verified_domain_route_the_tenants_pages(client, api_client, tenant, dns_zone):
    admin, name, verification = _claim(api_client, tenant)
    record = verification["dns"]
    dns_zone.publish(record["name"], "TXT", '"unrelated"', f'"{record["value"]}"')
    response = admin.post(f"/tenant/domains/{name}/verify")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "verified" and response.json["verification"] is None
    page = client.get("/login", base_url=f"http://{name}")
    assert page.status_code == 200 and tenant[1].title() in page.get_data(as_text=True)
    events = admin.get("/events", query_string={"type": "tenant.updated"}).json["items"]
    assert events[-1]["data"]["changed"] == ["domains"]


def test_does_an_http_token_served_by_a_real_web_server_verify_a_domain(
    client, api_client, tenant, dns_zone, token_site
):
    admin, name, verification = _claim(api_client, tenant)
    http = verification["http"]
    token = http["url"].rsplit("/", 1)[-1]
    assert http["url"] == f"http://{name}{VERIFY_PATH}{token}" and http["body"] == token
    dns_zone.publish(name, "A", "127.0.0.1")
    token_site.tokens[token] = token + "\n"
    response = admin.post(f"/tenant/domains/{name}/verify")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "verified"
    assert token_site.hosts == [f"{name}:{token_site.port}"]
    assert client.get("/login", base_url=f"http://{name}").status_code == 200


def test_does_a_failed_check_say_why_and_leave_the_domain_pending(
    client, api_client, tenant, dns_zone, token_site
):
    admin, name, verification = _claim(api_client, tenant)
    record = verification["dns"]
    dns_zone.publish(record["name"], "TXT", '"not-the-token"')
    dns_zone.publish(name, "A", "127.0.0.1")
    token_site.tokens[record["value"]] = "not-the-token"
    response = admin.post(f"/tenant/domains/{name}/verify")
    assert response.status_code == 422
    assert set(response.json["errors"]) == {"dns", "http"}
    assert pending_state(admin, name)["status"] == "pending"
    assert client.get("/login", base_url=f"http://{name}").status_code == 404


def test_does_the_http_check_refuse_a_domain_resolving_to_a_private_address(
    api_client, tenant, dns_zone, token_site, app, monkeypatch
):
    monkeypatch.setitem(app.config, "DOMAINS_ALLOW_PRIVATE_TARGETS", False)
    admin, name, verification = _claim(api_client, tenant)
    token = verification["http"]["body"]
    dns_zone.publish(name, "A", "127.0.0.1")
    token_site.tokens[token] = token
    response = admin.post(f"/tenant/domains/{name}/verify")
    assert response.status_code == 422
    assert "private" in response.json["errors"]["http"][0]
    assert token_site.hosts == [], "no request reached the loopback server"


def test_is_a_domain_another_tenant_verified_refused_without_naming_that_tenant(
    api_client, tenant, other_tenant, verified_domain
):
    name = _domain()
    verified_domain(tenant, name)
    response = api_client(other_tenant).patch("/tenant", json={"domains": [name.upper()]})
    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert tenant[1] not in body and str(tenant[0]) not in body


def test_can_tenant_b_neither_verify_nor_see_tenant_a_domain(
    api_client, tenant, other_tenant, dns_zone
):
    owner, name, verification = _claim(api_client, tenant)
    intruder = api_client(other_tenant)
    record = verification["dns"]
    dns_zone.publish(record["name"], "TXT", f'"{record["value"]}"')
    response = intruder.post(f"/tenant/domains/{name}/verify")
    assert response.status_code == 404 and response.json["title"] == "Not found"
    assert name not in intruder.get("/tenant").get_data(as_text=True)
    # B may claim the name too (a pending claim reserves nothing), with its own token:
    # A's published record does not verify B's claim.
    assert intruder.patch("/tenant", json={"domains": [name]}).status_code == 200
    assert pending_state(intruder, name)["verification"]["dns"]["value"] != record["value"]
    assert intruder.post(f"/tenant/domains/{name}/verify").status_code == 422
    assert owner.post(f"/tenant/domains/{name}/verify").status_code == 200
    assert intruder.post(f"/tenant/domains/{name}/verify").status_code == 409


def test_does_a_claim_on_the_platform_host_from_before_the_checks_route_nothing(
    app, client, tenant, other_tenant
):
    """A verified row for the platform host (left by an older version) is ignored."""
    from authsvc.extensions import db
    from authsvc.tenancy import tenant_context
    from authsvc.tenants.models import VERIFIED, TenantDomain

    with app.app_context(), tenant_context(tenant[0]):
        db.session.add(TenantDomain(domain="authsvc.test", status=VERIFIED))
        db.session.commit()
    try:
        assert client.get("/login", base_url=PLATFORM).status_code == 404
        assert client.get(f"/t/{other_tenant[1]}/login", base_url=PLATFORM).status_code == 200
    finally:
        with app.app_context(), tenant_context(tenant[0]):
            db.session.delete(db.session.get(TenantDomain, (tenant[0], "authsvc.test")))
            db.session.commit()


def test_does_removing_a_domain_stop_it_routing(client, api_client, tenant, verified_domain):
    name = _domain()
    verified_domain(tenant, name)
    assert client.get("/login", base_url=f"http://{name}").status_code == 200
    assert api_client(tenant).patch("/tenant", json={"domains": []}).status_code == 200
    assert client.get("/login", base_url=f"http://{name}").status_code == 404
