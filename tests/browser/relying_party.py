"""A relying party as a tenant's developer would write one: a small Flask app with authlib's
Flask client (discovery, code + PKCE, nonce), PyJWT checking the ID token against the JWKS,
and RP-initiated logout. It knows authsvc only through its discovery document."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from urllib.parse import urlencode

import jwt as pyjwt
import requests
from authlib.integrations.flask_client import OAuth
from flask import Flask, redirect, session, url_for
from werkzeug.serving import make_server

#: Every ID token claim the RP checks; ``acr`` only when it asked for one.
REQUIRED = ["iss", "sub", "aud", "exp", "iat", "auth_time", "nonce"]


def verify_id_token(metadata: dict, id_token: str, client_id: str) -> dict:
    """The ID token's claims, verified with PyJWT against the issuer's published keys."""
    keys = pyjwt.PyJWKClient(metadata["jwks_uri"])
    key = keys.get_signing_key_from_jwt(id_token)
    return pyjwt.decode(
        id_token,
        key,
        algorithms=metadata["id_token_signing_alg_values_supported"],
        audience=client_id,
        issuer=metadata["issuer"],
        options={"require": REQUIRED},
    )


def _page(title: str, body: str) -> str:
    return f"<!doctype html><title>{escape(title)}</title><h1>{escape(title)}</h1>{body}"


def build(issuer: str, client_id: str, client_secret: str, base: str, **authorize) -> Flask:
    """The RP app; ``authorize`` adds parameters to its authorization requests (``acr_values``)."""
    app = Flask("relying_party")
    app.secret_key = secrets.token_hex(32)
    oauth = OAuth(app)
    provider = oauth.register(
        "authsvc",
        client_id=client_id,
        client_secret=client_secret,
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256"},
    )

    @app.get("/")
    def home():
        return _page("Relying Party", f'<a href="{url_for("login")}">Sign in with authsvc</a>')

    @app.get("/login")
    def login():
        return provider.authorize_redirect(f"{base}/callback", **authorize)

    @app.get("/callback")
    def callback():
        token = provider.authorize_access_token()
        metadata = provider.load_server_metadata()
        claims = verify_id_token(metadata, token["id_token"], client_id)
        info = provider.userinfo(token=token)
        assert info["sub"] == claims["sub"]
        session["id_token"] = token["id_token"]
        shown = {k: claims.get(k) for k in ("sub", "amr", "acr")}
        body = "".join(f'<p id="{k}">{escape(str(v))}</p>' for k, v in shown.items())
        body += f'<p id="email">{escape(info["email"])}</p><a href="/logout">Sign out</a>'
        return _page(f"Signed in as {info['name']}", body)

    @app.get("/logout")
    def logout():
        end_session = provider.load_server_metadata()["end_session_endpoint"]
        query = {
            "id_token_hint": session.pop("id_token"),
            "post_logout_redirect_uri": f"{base}/bye",
            "state": "bye-state",
        }
        return redirect(f"{end_session}?{urlencode(query)}")

    @app.get("/bye")
    def bye():
        return _page("Signed out of Relying Party", "")

    return app


def discovery(issuer: str) -> dict:
    return requests.get(f"{issuer}/.well-known/openid-configuration", timeout=10).json()


class Deferred:
    """A WSGI app filled in after its server has a port (the RP's redirect URI needs it)."""

    app: Flask | None = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@contextmanager
def serving() -> Iterator[tuple[Deferred, int]]:
    """A thread serving a :class:`Deferred` app on a free loopback port."""
    deferred = Deferred()
    server = make_server("127.0.0.1", 0, deferred, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield deferred, server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=5)
