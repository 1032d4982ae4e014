"""A small, real HTTP server on loopback that speaks GitHub's OAuth 2.0 and REST endpoints.

It is the *provider side* of the GitHub tests (authsvc's side is authlib's
client): ``/login/oauth/authorize`` (the user is named by a ``login`` query
parameter the test adds, standing in for GitHub's sign-in page; ``deny=1``
plays a user who refuses), ``/login/oauth/access_token`` (client secret in the
form body, PKCE S256 checked, errors as GitHub sends them: HTTP 200 with an
``error`` field), ``/api/v3/user`` and ``/api/v3/user/emails``. The login
decides the account: ``unverified-...`` has an unverified primary address (and
a verified secondary one), ``noemail-...`` no address, ``garbage-...`` gets a
``/user`` answer that is not JSON.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit


def account_id(login: str) -> int:
    return int(hashlib.sha256(login.encode()).hexdigest()[:8], 16)


def emails_of(login: str) -> list[dict]:
    if login.startswith("noemail-"):
        return []
    primary = {"email": f"{login}@users.example", "primary": True, "visibility": "private"}
    primary["verified"] = not login.startswith("unverified-")
    other = {"email": f"{login}-other@example.com", "primary": False, "verified": True}
    return [other, primary]


class FakeGitHub:
    """Registered OAuth apps, pending codes and issued tokens of the fake."""

    def __init__(self) -> None:
        self.clients: dict[str, tuple[str, str]] = {}  # client_id -> (secret, callback)
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, str] = {}  # access token -> login
        self.token_requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def register(self, callback: str) -> tuple[str, str]:
        client = ("Iv1." + secrets.token_hex(8), secrets.token_hex(20))
        self.clients[client[0]] = (client[1], callback)
        return client

    def start(self) -> None:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # quiet test output
            return

        def _send(self, status: int, body: bytes, content_type: str, location=None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            if location:
                self.send_header("Location", location)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, value) -> None:
            self._send(status, json.dumps(value).encode(), "application/json")

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/login/oauth/authorize":
                self._authorize(query)
            elif parts.path in ("/api/v3/user", "/api/v3/user/emails"):
                self._api(parts.path)
            else:
                self._json(404, {"message": "Not Found"})

        def _authorize(self, query: dict) -> None:
            client = fake.clients.get(query.get("client_id", ""))
            if client is None or query.get("redirect_uri") != client[1]:
                self._json(400, {"message": "The redirect_uri is not associated with this app."})
                return
            if query.get("deny"):
                answer = {"error": "access_denied", "error_description": "The user denied."}
            else:
                code = secrets.token_hex(10)
                fake.codes[code] = {**query, "login": query["login"]}
                answer = {"code": code}
            location = f"{client[1]}?{urlencode({**answer, 'state': query['state']})}"
            self._send(302, b"", "text/plain", location)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            fake.token_requests.append({"form": form, "auth": self.headers.get("Authorization")})
            if urlsplit(self.path).path != "/login/oauth/access_token":
                self._json(404, {"message": "Not Found"})
                return
            answer = self._token(form)
            if "json" in (self.headers.get("Accept") or ""):
                self._json(200, answer)
            else:
                self._send(200, urlencode(answer).encode(), "application/x-www-form-urlencoded")

        def _token(self, form: dict) -> dict:
            client = fake.clients.get(form.get("client_id", ""))
            if client is None or not secrets.compare_digest(
                client[0], form.get("client_secret", "")
            ):
                return {"error": "incorrect_client_credentials"}
            pending = fake.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if (
                pending is None
                or pending["client_id"] != form["client_id"]
                or pending.get("code_challenge_method") != "S256"
                or pending.get("code_challenge") != challenge.decode()
            ):
                return {"error": "bad_verification_code"}
            token = "gho_" + secrets.token_hex(16)
            fake.tokens[token] = pending["login"]
            return {"access_token": token, "token_type": "bearer", "scope": "read:user,user:email"}

        def _api(self, path: str) -> None:
            scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
            login = fake.tokens.get(token) if scheme.lower() in ("bearer", "token") else None
            if login is None:
                self._json(401, {"message": "Requires authentication"})
            elif path.endswith("/emails"):
                self._json(200, emails_of(login))
            elif login.startswith("garbage-"):
                self._send(200, b"<html>unicorn</html>", "text/html")
            else:
                user = {"id": account_id(login), "login": login, "name": f"GitHub {login}"}
                self._json(200, {**user, "avatar_url": f"{fake.url}/avatars/{login}"})

    return Handler
