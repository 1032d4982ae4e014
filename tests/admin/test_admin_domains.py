"""Custom domains in the panel: refused names as form errors, state, and the Verify button."""

from __future__ import annotations

import re
from html import unescape

from tests.conftest import unique

SETTINGS = "/admin/p/settings/"


def _settings_form(name: str, domains: str) -> dict:
    return {"name": name, "domains": domains, "rate_limit": ""}


def test_is_the_platform_host_refused_on_the_tenant_edit_page(admin_client, tenant):
    client = admin_client(platform=True)
    response = client.post(f"/admin/tenants/{tenant[0]}", _settings_form("T", "authsvc.test"))
    assert response.status_code == 422
    assert "the platform&#39;s own host name" in response.text


def test_is_a_platform_subdomain_refused_in_a_tenant_admins_settings(admin_client, tenant):
    client = admin_client(tenant)
    response = client.post(SETTINGS, _settings_form("T", "login.authsvc.test"))
    assert response.status_code == 422
    assert "the platform&#39;s own host name" in response.text


def test_does_the_settings_page_show_a_pending_domain_and_verify_it_with_its_button(
    admin_client, tenant, dns_zone, client
):
    admin = admin_client(tenant)
    name = f"{unique('panel')}.example.com"
    assert admin.post(SETTINGS, _settings_form("T", name)).status_code == 302
    page = admin.get(SETTINGS).text
    section = page[page.index('data-testid="domains"') :]
    assert "pending" in section and f"_authsvc-challenge.{name}" in section
    token = re.search(
        rf"_authsvc-challenge\.{re.escape(name)}</code> with the value <code>([^<]+)<", section
    )
    action = unescape(re.search(r'<form method="post" action="([^"]+/verify)"', section).group(1))
    failed = admin.post(action, {"back": "plugin_settings.index"}, follow_redirects=True)
    assert "could not be verified yet" in failed.text
    dns_zone.publish(f"_authsvc-challenge.{name}", "TXT", f'"{token.group(1)}"')
    done = admin.post(action, {"back": "plugin_settings.index"})
    assert done.status_code == 302 and done.headers["Location"].endswith(SETTINGS)
    page = admin.get(SETTINGS).text
    assert f"{name} is verified" in page and ">verified<" in page
    assert client.get("/login", base_url=f"http://{name}").status_code == 200


def test_can_an_admin_of_another_tenant_verify_this_tenants_domain(
    admin_client, tenant, other_tenant, api_client
):
    name = f"{unique('panel')}.example.com"
    api_client(tenant).patch("/tenant", json={"domains": [name]})
    intruder = admin_client(other_tenant)
    response = intruder.post(f"/admin/tenants/{tenant[0]}/domains/{name}/verify", {})
    assert response.status_code == 404
    states = api_client(tenant).get("/tenant").json["domain_states"]
    assert [state["status"] for state in states] == ["pending"]
