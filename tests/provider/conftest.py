"""An OpenID Connect relying party built from independent parts: authlib's httpx client
(over a WSGI transport into the app), the Flask test client as the user's browser, and
PyJWT to check ID tokens against the tenant's JWKS."""

from __future__ import annotations

import re
import warnings
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt as pyjwt
import pytest
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():
    # authlib prefers httpx2 and warns when it falls back to httpx, the one installed.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth2Client

from tests.hosted.conftest import PASSWORD, csrf_token, submit

ISSUER_HOST = "http://authsvc.test"
#: Where the client's requests go: authlib's server refuses plain http except on loopback.
APP_HOST = "http://localhost"
REDIRECT = "https://rp.example.com/cb"


@pytest.fixture
def admin(api_client, tenant):
    return api_client(tenant, ["admin"])


@pytest.fixture
def member(make_user, tenant):
    return make_user(tenant, password=PASSWORD, is_verified=True, display_name="Ada Member")


@pytest.fixture
def register(admin):
    """``register(**fields)``: a new application of the tenant, as the API returns it."""

    def create(**fields):
        body = {
            "name": "Relying Party",
            "redirect_uris": [REDIRECT],
            "post_logout_redirect_uris": ["https://rp.example.com/bye"],
            "grant_types": ["authorization_code", "refresh_token"],
            "scopes": ["openid", "profile", "email", "offline_access"],
            **fields,
        }
        response = admin.post("/applications", json=body)
        assert response.status_code == 201, response.json
        return response.json

    return create


@pytest.fixture
def rp(app, tenant):
    """``rp(application, **kw)``: authlib's OAuth 2.0 client for the application, talking to
    the app in-process (the issuer's host is not resolvable)."""

    def make(application, **kwargs):
        secret = application.get("client_secret")
        return OAuth2Client(
            client_id=application["client_id"],
            client_secret=secret,
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
            redirect_uri=kwargs.pop("redirect_uri", REDIRECT),
            scope=kwargs.pop("scope", "openid profile email offline_access"),
            code_challenge_method="S256",
            transport=httpx.WSGITransport(app=app),
            base_url=APP_HOST,
            **kwargs,
        )

    return make


def endpoints(client, slug: str) -> dict:
    return client.get(f"/t/{slug}/.well-known/openid-configuration").json


def sign_in(browser, slug: str, email: str) -> None:
    response = submit(browser, f"/t/{slug}/login", {"identifier": email, "password": PASSWORD})
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def follow(browser, location: str, limit: int = 5):
    """Follow the provider's own redirects (``/oauth2/...``); stop at a page, or at a
    redirect elsewhere (the sign-in page, the application)."""
    response = None
    for _ in range(limit):
        response = browser.get(location.removeprefix(ISSUER_HOST))
        location = response.headers.get("Location", "")
        if response.status_code not in (302, 303) or "/oauth2/" not in urlsplit(location).path:
            return response
    return response


def authorize(browser, rp_client, slug: str, **params):
    """Start the code flow as the RP would; returns (browser's response, state, verifier)."""
    verifier = generate_token(48)
    url, state = rp_client.create_authorization_url(
        f"{ISSUER_HOST}/t/{slug}/oauth2/authorize", code_verifier=verifier, **params
    )
    return follow(browser, url), state, verifier


def consent(browser, page, allow: bool = True, remember: bool = True):
    action = re.search(r'<form method="post" action="([^"]+)"', page.get_data(as_text=True))
    data = {"csrf_token": csrf_token(page), "allow" if allow else "deny": "1"}
    if remember:
        data["remember"] = "y"
    action = action.group(1).replace("&amp;", "&")
    return browser.post(action, data=data, headers={"Referer": "http://localhost" + action})


def callback_params(response) -> dict:
    location = response.headers["Location"]
    assert location.startswith(REDIRECT), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def verify_id_token(client, slug: str, id_token: str, audience: str) -> dict:
    jwks = pyjwt.PyJWKSet.from_dict(client.get(f"/t/{slug}/.well-known/jwks.json").json)
    kid = pyjwt.get_unverified_header(id_token)["kid"]
    key = next(k for k in jwks.keys if k.key_id == kid)
    return pyjwt.decode(
        id_token,
        key,
        algorithms=["ES256", "RS256"],
        audience=audience,
        issuer=f"{ISSUER_HOST}/t/{slug}",
    )
