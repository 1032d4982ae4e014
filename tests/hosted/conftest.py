"""Helpers for driving hosted pages through the test client as a browser would."""

from __future__ import annotations

import re
from html import unescape

import pytest

PASSWORD = "correct horse battery staple"


def csrf_token(response) -> str:
    match = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', response.get_data(as_text=True)
    )
    assert match, "the page has a CSRF token"
    return match.group(1)


def submit(client, url: str, data: dict, base_url: str = "http://localhost", **kwargs):
    """GET the page, then POST its form with its CSRF token and, as a browser does under
    our same-origin Referrer-Policy, the page as Referer."""
    page = client.get(url, base_url=base_url, **kwargs)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    headers = {"Referer": base_url + url, **kwargs.pop("headers", {})}
    return client.post(
        url,
        data={"csrf_token": csrf_token(page), **data},
        base_url=base_url,
        headers=headers,
        **kwargs,
    )


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def member(make_user, tenant):
    """A verified user of ``tenant`` with a known password."""
    return make_user(tenant, password=PASSWORD, is_verified=True)
