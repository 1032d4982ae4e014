"""``/auth/validate`` checks the token's tenant when the proxy names one (Trust item 14)."""

from __future__ import annotations

import pytest

from tests.auth.conftest import PASSWORD, TenantApp


@pytest.fixture
def two_tokens(api_client, tenant, other_tenant) -> dict[str, str]:
    """An end user's access token in each of two tenants: slug -> token."""
    tokens = {}
    for owner in (tenant, other_tenant):
        app = TenantApp(api_client(owner, ["admin"]), owner)
        app.signup("proxy@example.com")
        tokens[owner[1]] = app.tokens("proxy@example.com", PASSWORD)["access_token"]
    return tokens


def _validate(client, token: str, **kwargs):
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return client.get("/api/v1/auth/validate", headers=headers, **kwargs)


def test_does_validate_refuse_another_tenants_token_when_the_query_names_a_tenant(
    client, two_tokens, tenant, other_tenant
):
    mine, theirs = two_tokens[tenant[1]], two_tokens[other_tenant[1]]
    accepted = _validate(client, mine, query_string={"tenant": tenant[1]})
    assert accepted.status_code == 200 and accepted.headers["X-Tenant-Slug"] == tenant[1]
    refused = _validate(client, theirs, query_string={"tenant": tenant[1]})
    assert refused.status_code == 401
    assert refused.json["detail"] == "The token belongs to another tenant."
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "X-User-Id" not in refused.headers


def test_does_validate_refuse_another_tenants_token_when_the_proxy_sets_x_tenant(
    client, two_tokens, tenant, other_tenant
):
    mine, theirs = two_tokens[tenant[1]], two_tokens[other_tenant[1]]
    assert _validate(client, mine, headers={"X-Tenant": tenant[1]}).status_code == 200
    assert _validate(client, theirs, headers={"X-Tenant": tenant[1]}).status_code == 401


def test_must_the_query_and_the_header_both_match_when_both_are_given(
    client, two_tokens, tenant, other_tenant
):
    mine = two_tokens[tenant[1]]
    both = _validate(
        client, mine, query_string={"tenant": tenant[1]}, headers={"X-Tenant": other_tenant[1]}
    )
    assert both.status_code == 401
    assert _validate(client, mine, query_string={"tenant": ""}).status_code == 401


def test_does_validate_without_a_tenant_still_accept_any_tenants_token(
    client, two_tokens, tenant, other_tenant
):
    for slug in (tenant[1], other_tenant[1]):
        answer = _validate(client, two_tokens[slug])
        assert answer.status_code == 200 and answer.headers["X-Tenant-Slug"] == slug
