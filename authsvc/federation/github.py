"""GitHub sign-in: OAuth 2.0 without an ID token; who the user is comes from GitHub's REST API.

GitHub (and GitHub Enterprise Server) is not an OpenID Provider: there is no
discovery document and no ID token. authlib's client runs the authorization
code flow with PKCE against the fixed endpoints; the user's stable numeric id
(``/user``) becomes the link's subject, and only the *primary, verified*
address from ``/user/emails`` counts as an email (a secondary or unverified
address could belong to anyone who typed it).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

GITHUB_WEB = "https://github.com"
GITHUB_API = "https://api.github.com/"
DEFAULT_SCOPES = ["read:user", "user:email"]
#: GitHub reads the client's credentials from the form body of the token request.
TOKEN_ENDPOINT_AUTH = "client_secret_post"  # noqa: S105 - a method name, not a secret
API_HEADERS = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def api_base(web: str) -> str:
    """The REST API root of a GitHub host (``/api/v3/`` on GitHub Enterprise Server)."""
    return GITHUB_API if urlsplit(web).hostname == "github.com" else f"{web}/api/v3/"


def registration(web: str) -> dict[str, Any]:
    """authlib ``register()`` arguments for the GitHub host ``web``."""
    return {
        "authorize_url": f"{web}/login/oauth/authorize",
        "access_token_url": f"{web}/login/oauth/access_token",
        "api_base_url": api_base(web),
    }


def _json(response, kind: type) -> Any:
    response.raise_for_status()
    body = response.json()
    if not isinstance(body, kind):
        raise ValueError(f"GitHub answered {response.url} with a {type(body).__name__}")
    return body


def claims(client, token: dict) -> dict[str, Any]:
    """The user's claims, shaped like an ID token's: ``sub``, ``email`` (primary and
    verified only), ``email_verified``, ``name``, ``picture``. Raises ValueError or a
    requests error when GitHub's answer is unusable."""
    user = _json(client.get("user", token=token, headers=API_HEADERS), dict)
    if not isinstance(user.get("id"), int):
        raise ValueError("GitHub's /user has no numeric id")
    emails = _json(client.get("user/emails", token=token, headers=API_HEADERS), list)
    primary = next(
        (
            entry
            for entry in emails
            if isinstance(entry, dict)
            and entry.get("primary") is True
            and entry.get("verified") is True
        ),
        None,
    )
    email = primary.get("email") if primary else None
    return {
        "sub": str(user["id"]),
        "email": email if isinstance(email, str) else None,
        "email_verified": bool(primary),
        "name": user.get("name") or user.get("login"),
        "picture": user.get("avatar_url"),
    }
