"""``return_to`` stays inside its allowed path: dot segments are resolved before comparing."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

import pytest

from authsvc.hosted.redirects import remove_dot_segments, safe_return_to
from tests.hosted.conftest import PASSWORD, submit

ALLOWED = "https://app.example.com/cb"
TENANT = SimpleNamespace(settings={"redirect_urls": [ALLOWED, "https://app.example.com:8443/x/"]})

ESCAPES = [
    "https://app.example.com/cb/../admin",
    "https://app.example.com/cb/%2e%2e/admin",
    "https://app.example.com/cb/%2E%2e/admin",
    "https://app.example.com/cb/.%2e/admin",
    "https://app.example.com/cb/%2e./admin",
    "https://app.example.com/cb/..%2fadmin",
    "https://app.example.com/cb/..%2Fadmin",
    "https://app.example.com/cb/..%5cadmin",
    "https://app.example.com/cb/..\\admin",
    "https://app.example.com/cb\\..\\admin",
    "https://app.example.com/cb/./../admin",
    "https://app.example.com/cb/x/../../admin",
    "https://app.example.com/cb/..",
    "https://app.example.com/cb/%2e%2e",
    "https://app.example.com/cb%2f..%2fadmin",
    "https://app.example.com:8443/x/../y",
    "https://app.example.com:8443/x/%2e%2e/y",
    "https://app.example.com:444/cb",
    "http://app.example.com/cb",
    "https://app.example.com.evil.test/cb",
]


@pytest.mark.parametrize("candidate", ESCAPES)
def test_does_a_return_to_that_leaves_its_allowed_path_get_refused(candidate):
    assert safe_return_to(TENANT, candidate) is None


@pytest.mark.parametrize(
    ("candidate", "normalised"),
    [
        ("https://app.example.com/cb", "https://app.example.com/cb"),
        ("https://app.example.com/cb/x/../y?s=1", "https://app.example.com/cb/y?s=1"),
        ("https://app.example.com/cb/./y", "https://app.example.com/cb/y"),
        ("https://app.example.com/cb/%2e/y", "https://app.example.com/cb/y"),
        ("https://app.example.com:443/cb/z", "https://app.example.com:443/cb/z"),
        ("https://APP.example.com/cb/z", "https://APP.example.com/cb/z"),
        ("https://app.example.com:8443/x/a/..", "https://app.example.com:8443/x/"),
    ],
)
def test_is_a_return_to_inside_its_allowed_path_sent_on_normalised(candidate, normalised):
    assert safe_return_to(TENANT, candidate) == normalised


@pytest.mark.parametrize(
    ("path", "resolved"),
    [("/a/b/../c", "/a/c"), ("/a/./b", "/a/b"), ("/..", "/"), ("/a/b/..", "/a/"), ("", "")],
)
def test_are_dot_segments_resolved_as_rfc_3986_says(path, resolved):
    assert remove_dot_segments(path) == resolved


@pytest.mark.parametrize(
    "candidate",
    ["https://app.example.com/cb/../admin", "https://app.example.com/cb/%2e%2e/admin"],
)
def test_does_hosted_sign_in_refuse_a_return_to_with_dot_segments_out_of_the_path(
    client, make_tenant, make_user, candidate
):
    tenant = make_tenant(settings={"redirect_urls": [ALLOWED]})
    user = make_user(tenant, password=PASSWORD, is_verified=True)
    url = f"/t/{tenant[1]}/login?return_to={quote(candidate, safe='')}"
    response = submit(client, url, {"identifier": user["email"], "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/t/{tenant[1]}/account"
