"""Hosted pages given text no database can store: a form error or a 400, never a 500."""

from __future__ import annotations

import pytest

from tests.hosted.conftest import PASSWORD, submit, text

# A form post is UTF-8 that werkzeug decodes with replacement, so an unpaired surrogate
# cannot arrive through a form; a NUL can (``%00``).
NUL = "a\x00b@example.com"


def test_does_the_hosted_login_form_show_a_nul_as_a_field_error(client, tenant, member):
    response = submit(client, f"/t/{tenant[1]}/login", {"identifier": NUL, "password": PASSWORD})
    assert response.status_code == 422
    assert "Must not contain NUL characters." in text(response)
    assert 'aria-invalid="true"' in text(response)


@pytest.mark.parametrize("field", ["email", "display_name", "username"])
def test_does_the_hosted_sign_up_form_refuse_a_nul_and_create_no_one(
    client, tenant, api_client, field
):
    form = {"email": "new@example.com", "password": PASSWORD, field: NUL}
    response = submit(client, f"/t/{tenant[1]}/register", {**form, "confirm": PASSWORD})
    assert response.status_code == 422
    assert "Must not contain NUL characters." in text(response)
    users = api_client(tenant).get("/users", query_string={"email": "new@example.com"}).json
    assert users["items"] == []


def test_is_a_nul_in_a_hosted_query_string_or_slug_a_bad_request(client, tenant):
    assert client.get(f"/t/{tenant[1]}/reset?token=a%00b").status_code == 422
    assert client.get("/t/a%00b/login").status_code == 400
    assert client.get("/login", headers={"Host": "a\x00b.example.com"}).status_code == 400
