"""``amr`` says how the user actually signed in, and ``acr`` answers ``acr_values``; both read
from ID tokens verified with PyJWT against the tenant's JWKS."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import jwt as pyjwt
import pytest
import requests

from tests.federation.conftest import github_fake, github_provider, loopback_issuers  # noqa: F401
from tests.federation.test_github_sign_in import github_callback
from tests.hosted.conftest import PASSWORD, submit
from tests.hosted.test_flows import _enrol_totp
from tests.provider.conftest import (
    authorize,
    callback_params,
    endpoints,
    follow,
    sign_in,
    verify_id_token,
)

ONE, MFA = "urn:authsvc:acr:1fa", "urn:authsvc:acr:mfa"


def id_token_claims(client, tenant, application, relying_party, **params) -> dict:
    """Authorize with the browser's current session (first-party: no consent) and return
    the verified ID token's claims."""
    page, _state, verifier = authorize(client, relying_party, tenant[1], **params)
    code = callback_params(page)["code"]
    token = relying_party.fetch_token(
        f"/t/{tenant[1]}/oauth2/token", code=code, code_verifier=verifier
    )
    return verify_id_token(client, tenant[1], token["id_token"], application["client_id"])


@pytest.fixture
def first_party(register, rp):
    application = register(first_party=True)
    return application, rp(application)


def test_a_password_sign_in_says_pwd_and_no_acr_unless_asked(client, tenant, member, first_party):
    application, relying_party = first_party
    sign_in(client, tenant[1], member["email"])
    claims = id_token_claims(client, tenant, application, relying_party)
    assert claims["amr"] == ["pwd"] and "acr" not in claims


@pytest.mark.parametrize(
    ("asked", "stated"),
    [
        (f"{MFA} {ONE}", ONE),  # the first value asked for that the sign-in meets
        (MFA, ONE),  # never more than happened: the application decides
        ("URN:AUTHSVC:ACR:MFA", ONE),  # a look-alike is not a class we know
        ("urn:authsvc:acr:mfa-ish urn:other", ONE),
    ],
)
def test_acr_never_claims_more_than_the_sign_in_did(
    client, tenant, member, first_party, asked, stated
):
    application, relying_party = first_party
    sign_in(client, tenant[1], member["email"])
    claims = id_token_claims(client, tenant, application, relying_party, acr_values=asked)
    assert claims["acr"] == stated and claims["amr"] == ["pwd"]


def test_a_totp_sign_in_says_otp_and_mfa_and_meets_the_mfa_class(
    client, tenant, member, api_client, first_party
):
    totp = _enrol_totp(api_client, tenant, member)
    application, relying_party = first_party
    password = submit(
        client, f"/t/{tenant[1]}/login", {"identifier": member["email"], "password": PASSWORD}
    )
    assert password.headers["Location"] == f"/t/{tenant[1]}/mfa"
    assert submit(client, f"/t/{tenant[1]}/mfa", {"code": totp.now()}).status_code == 303
    asked = f"{MFA} {ONE}"
    claims = id_token_claims(client, tenant, application, relying_party, acr_values=asked)
    assert claims["amr"] == ["pwd", "otp", "mfa"] and claims["acr"] == MFA


def _access_claims(client, slug: str, access_token: str) -> dict:
    """An access token's claims, its signature checked with PyJWT against the JWKS."""
    jwks = pyjwt.PyJWKSet.from_dict(client.get(f"/t/{slug}/.well-known/jwks.json").json)
    kid = pyjwt.get_unverified_header(access_token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    return pyjwt.decode(
        access_token, key, algorithms=["ES256", "RS256"], options={"verify_aud": False}
    )


def test_an_applications_access_tokens_keep_the_sign_ins_amr_through_refreshes(
    client, tenant, member, api_client, first_party
):
    """The code's access token and each refreshed one say how the user signed in."""
    totp = _enrol_totp(api_client, tenant, member)
    application, relying_party = first_party
    submit(client, f"/t/{tenant[1]}/login", {"identifier": member["email"], "password": PASSWORD})
    assert submit(client, f"/t/{tenant[1]}/mfa", {"code": totp.now()}).status_code == 303
    page, _state, verifier = authorize(client, relying_party, tenant[1])
    token_url = f"/t/{tenant[1]}/oauth2/token"
    token = relying_party.fetch_token(
        token_url, code=callback_params(page)["code"], code_verifier=verifier
    )
    both = ["pwd", "otp", "mfa"]
    assert _access_claims(client, tenant[1], token["access_token"])["amr"] == both
    for _ in range(2):
        token = relying_party.refresh_token(token_url, refresh_token=token["refresh_token"])
        assert _access_claims(client, tenant[1], token["access_token"])["amr"] == both


def test_amr_is_the_sign_in_that_happened_not_the_factors_enrolled_since(
    client, tenant, member, api_client, first_party
):
    """A session that signed in with a password, before the user turned TOTP on, is not
    an MFA session: neither amr nor acr may say it is."""
    application, relying_party = first_party
    sign_in(client, tenant[1], member["email"])
    _enrol_totp(api_client, tenant, member)
    claims = id_token_claims(client, tenant, application, relying_party, acr_values=MFA)
    assert claims["amr"] == ["pwd"] and claims["acr"] == ONE


def test_a_federated_sign_in_says_fed(client, tenant, github_provider, first_party):  # noqa: F811
    application, relying_party = first_party
    done = client.get(github_callback(client, tenant[1], github_provider["id"], "fed-user"))
    assert done.status_code == 303, done.get_data(as_text=True)
    claims = id_token_claims(client, tenant, application, relying_party, acr_values=ONE)
    assert claims["amr"] == ["fed"] and claims["acr"] == ONE


def test_a_federated_sign_in_in_the_middle_of_an_authorization_resumes_it(
    client,
    tenant,
    github_provider,  # noqa: F811
    first_party,
):
    """The sign-in page's provider button carries the pending request's resume page; the
    provider's callback opens a hosted session and goes back there (no one-time code for
    an application), and the code flow finishes with ``amr: ["fed"]``."""
    application, relying_party = first_party
    page, _state, verifier = authorize(client, relying_party, tenant[1])
    login_page = client.get(page.headers["Location"]).get_data(as_text=True)
    start = re.search(rf'href="(/t/{tenant[1]}/login/{github_provider["id"]}[^"]*)"', login_page)
    started = client.get(unescape(start.group(1)))
    answer = requests.get(
        started.headers["Location"],
        params={"login": "fed-resume"},
        allow_redirects=False,
        timeout=30,
    )
    callback = urlsplit(answer.headers["Location"])
    back = client.get(f"{callback.path}?{callback.query}")
    assert back.headers["Location"] == f"/t/{tenant[1]}/oauth2/authorize/resume"
    code = callback_params(follow(client, back.headers["Location"]))["code"]
    token = relying_party.fetch_token(
        f"/t/{tenant[1]}/oauth2/token", code=code, code_verifier=verifier
    )
    claims = verify_id_token(client, tenant[1], token["id_token"], application["client_id"])
    assert claims["amr"] == ["fed"]


def test_discovery_lists_the_acr_values_it_answers(client, tenant):
    metadata = endpoints(client, tenant[1])
    assert metadata["acr_values_supported"] == [ONE, MFA]
    assert "acr" in metadata["claims_supported"]


def test_the_resumed_request_keeps_its_acr_values_through_the_sign_in(
    client, tenant, member, first_party
):
    application, relying_party = first_party
    page, _state, verifier = authorize(client, relying_party, tenant[1], acr_values=MFA)
    login_url = page.headers["Location"]
    signed_in = submit(client, login_url, {"identifier": member["email"], "password": PASSWORD})
    code = callback_params(follow(client, signed_in.headers["Location"]))["code"]
    token = relying_party.fetch_token(
        f"/t/{tenant[1]}/oauth2/token", code=code, code_verifier=verifier
    )
    claims = verify_id_token(client, tenant[1], token["id_token"], application["client_id"])
    assert claims["acr"] == ONE
