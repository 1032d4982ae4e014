"""API-key calls against a live authsvc: operations, typed problems, pagination."""

from __future__ import annotations

import asyncio

import pytest
from authsvc_client import (
    AsyncAuthsvcClient,
    AuthsvcClient,
    Conflict,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationError,
)


@pytest.fixture
def admin(base_url, tenant):
    with AuthsvcClient(base_url, tenant.admin_key) as client:
        yield client


def test_every_operation_of_the_document_is_a_method(admin, base_url):
    """Endpoints come from the server's document: nothing is listed by hand."""
    document = admin.http.get("/api/v1/openapi.json").json()
    expected = {
        op["operationId"]
        for item in document["paths"].values()
        for method, op in item.items()
        if method != "parameters"
    }
    assert set(admin.operations) == expected
    assert set(dir(admin.ops)) == expected
    user = admin.ops.post_user_list(json={"email": "ops@example.com"})
    assert admin.ops.get_user_item(user_id=user["id"])["email"] == "ops@example.com"


def test_a_saved_document_saves_the_round_trip(admin, base_url, tenant):
    document = admin.http.get("/api/v1/openapi.json").json()
    with AuthsvcClient(base_url, tenant.admin_key, document=document) as client:
        requests = []
        client.http.event_hooks["request"].append(requests.append)
        assert client.call("get_tenant_item")["slug"] == tenant.slug
        assert [r.url.path for r in requests] == ["/api/v1/tenant"]


def test_problems_are_typed_exceptions_with_status_type_and_errors(admin, base_url, tenant):
    with pytest.raises(ValidationError) as invalid:
        admin.call("post_user_list", json={"email": "not an email"})
    assert invalid.value.status == 422 and "email" in invalid.value.errors
    assert invalid.value.type == "urn:authsvc:problem:validation-failed"
    admin.call("post_user_list", json={"email": "twice@example.com"})
    with pytest.raises(Conflict):
        admin.call("post_user_list", json={"email": "TWICE@example.com"})
    with pytest.raises(NotFound) as missing:
        admin.call("get_user_item", user_id="0190d1c4-0000-7000-8000-000000000000")
    assert missing.value.type == "urn:authsvc:problem:not-found"
    with AuthsvcClient(base_url, tenant.auth_key) as front_end, pytest.raises(Forbidden):
        front_end.call("get_user_list")
    with AuthsvcClient(base_url, "ak_forged") as forged, pytest.raises(Unauthorized):
        forged.call("get_user_list")


def test_another_tenants_key_cannot_reach_this_tenants_user(admin, base_url, make_tenant):
    user = admin.call("post_user_list", json={"email": "mine@example.com"})
    with AuthsvcClient(base_url, make_tenant().admin_key) as attacker:
        with pytest.raises(NotFound):
            attacker.call("get_user_item", user_id=user["id"])
        assert all(row["id"] != user["id"] for row in attacker.paginate("get_user_list"))


def test_bad_arguments_fail_before_any_request(admin):
    with pytest.raises(AttributeError):
        admin.call("drop_everything")
    with pytest.raises(TypeError):
        admin.call("get_user_item")  # the path parameter is missing
    with pytest.raises(TypeError):
        admin.call("get_user_list", colour="red")
    with pytest.raises(TypeError):
        admin.call("get_me")  # a Bearer operation without a token


def test_pagination_is_an_iterator_over_every_page(admin):
    emails = {f"page{n}@example.com" for n in range(5)}
    for email in sorted(emails):
        admin.call("post_user_list", json={"email": email})
    pages = []
    admin.http.event_hooks["request"].append(pages.append)
    seen = [row["email"] for row in admin.paginate("get_user_list", limit=2, q="page")]
    assert sorted(seen) == sorted(emails) and len(seen) == 5
    assert len(pages) == 3  # 2 + 2 + 1


def test_async_client_calls_and_paginates(base_url, tenant):
    async def scenario():
        async with AsyncAuthsvcClient(base_url, tenant.admin_key) as client:
            for n in range(3):
                await client.ops.post_user_list(json={"email": f"async{n}@example.com"})
            rows = [row async for row in client.paginate("get_user_list", limit=2, q="async")]
            with pytest.raises(NotFound):
                await client.call("get_user_item", user_id="0190d1c4-0000-7000-8000-000000000000")
            return rows

    rows = asyncio.run(scenario())
    assert sorted(r["email"] for r in rows) == [f"async{n}@example.com" for n in range(3)]
