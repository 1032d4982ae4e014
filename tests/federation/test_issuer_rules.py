"""The ID token's issuer rules, checked by authlib's own ID token validation.

Entra ID's multi-tenant endpoints cannot be run locally, so these tokens are
signed with a test key (joserfc) and validated the way the sign-in validates
them: authlib's ``CodeIDToken`` with the claim options of ``flow.claims_options``.
"""

from __future__ import annotations

import time

import pytest
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from authsvc.federation import flow
from authsvc.federation.models import IdentityProvider

ENTRA = "https://login.microsoftonline.com/{}/v2.0"
CONTOSO = "0b9fc050-c31f-457d-9df1-5871715bdf83"  # fixed: xdist workers must collect the same ids
FABRIKAM = "031f14c2-43a2-4a9e-853d-5649f71b4eb5"
KEY = ECKey.generate_key("P-256")


def verified(provider: IdentityProvider, **claims) -> dict:
    """Sign ``claims`` (plus the usual ones) with the test key, then verify and validate
    them as the sign-in does; raises a joserfc error when a rule is broken."""
    now = int(time.time())
    body = {"sub": "s", "aud": "app", "iat": now, "exp": now + 300, "nonce": "n", **claims}
    body = {name: value for name, value in body.items() if value is not None}
    token = jwt.decode(jwt.encode({"alg": "ES256", "kid": "k"}, body, KEY), KEY)
    options = flow.claims_options(provider)
    checked = CodeIDToken(token.claims, token.header, options, {"nonce": "n", "client_id": "app"})
    checked.validate(leeway=120)
    return dict(checked)


@pytest.mark.parametrize("directory", ["common", "organizations", "consumers"])
def test_does_a_multi_tenant_entra_provider_accept_the_issuer_of_the_tokens_own_tid(
    directory,
):
    provider = IdentityProvider(kind="microsoft", issuer=ENTRA.format(directory))
    claims = verified(provider, iss=ENTRA.format(CONTOSO), tid=CONTOSO)
    assert claims["tid"] == CONTOSO


@pytest.mark.parametrize(
    ("iss", "tid"),
    [
        (ENTRA.format(CONTOSO), FABRIKAM),  # another directory's issuer
        (ENTRA.format("{tenantid}"), CONTOSO),  # the unfilled template
        (ENTRA.format(CONTOSO), None),  # no tid to check against
        (ENTRA.format(CONTOSO), f"{CONTOSO}/v2.0"),  # a tid that is not a directory id
        (ENTRA.format(CONTOSO).upper(), CONTOSO),  # a look-alike spelling
        ("https://evil.example/" + CONTOSO + "/v2.0", CONTOSO),
        (None, CONTOSO),  # no issuer at all
    ],
)
def test_does_a_multi_tenant_entra_provider_refuse_any_other_issuer(iss, tid):
    provider = IdentityProvider(kind="microsoft", issuer=ENTRA.format("organizations"))
    with pytest.raises(JoseError):
        verified(provider, iss=iss, tid=tid)


def test_does_a_single_directory_entra_provider_accept_only_its_own_issuer():
    provider = IdentityProvider(kind="microsoft", issuer=ENTRA.format(CONTOSO))
    assert verified(provider, iss=ENTRA.format(CONTOSO), tid=CONTOSO)["sub"] == "s"
    with pytest.raises(JoseError):
        verified(provider, iss=ENTRA.format(FABRIKAM), tid=FABRIKAM)


def test_does_an_oidc_provider_accept_its_issuer_with_or_without_a_trailing_slash():
    provider = IdentityProvider(kind="oidc", issuer="https://tenant.auth0.example")
    for iss in ("https://tenant.auth0.example", "https://tenant.auth0.example/"):
        assert verified(provider, iss=iss)["iss"] == iss
    for iss in ("https://tenant.auth0.example.evil", "https://tenant.auth0.example/x"):
        with pytest.raises(JoseError):
            verified(provider, iss=iss)


def test_does_google_accept_both_of_its_issuer_spellings_and_nothing_else():
    provider = IdentityProvider(kind="google", issuer="https://accounts.google.com")
    for iss in ("https://accounts.google.com", "accounts.google.com"):
        assert verified(provider, iss=iss)["iss"] == iss
    with pytest.raises(JoseError):
        verified(provider, iss="https://accounts.google.com.evil.example")
