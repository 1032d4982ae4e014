"""The OpenID Provider's endpoints beside their floors: what a sign-in to an application costs.

Run: .venv/bin/python -m bench.oidc [--rounds 300]

authsvc runs under gunicorn with the production settings of the other benchmarks
(PostgreSQL as the application's role), beside the bare Flask app of ``bench/bare_app.py``
serving the floors: ``GET /``, an argon2id-only login and a one-statement user read. One
HTTP connection sends each kind of request alone, ``--rounds`` times, timing each on the
client and reading the gunicorn workers' CPU from /proc around the run:

* ``GET /oauth2/authorize`` of a browser with a hosted session (a first-party application,
  so no consent page): the 302 to the redirect URI with a code;
* ``POST /oauth2/token`` exchanging those codes (``authorization_code`` with PKCE S256 and
  ``client_secret_basic``); the round trip is the two, per code;
* ``POST /oauth2/token`` with ``client_credentials``, and with ``refresh_token`` (each
  answer's rotated token feeds the next call);
* ``GET /oauth2/userinfo`` with an access token.

Keycloak's sizing guide publishes 120 client-credentials grants/s and 120 refresh grants/s
per vCPU; issue #13 aims at four times that per core, read here as 10^6 / worker CPU µs.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from bench import apps, seed
from bench.auth_seed import LIMITS
from tests.servers import PostgresServer

PASSWORD = "bench correct horse battery"
REDIRECT = "https://rp.bench.example/cb"
KEYCLOAK_PER_CORE = 120
TARGET_PER_CORE = 4 * KEYCLOAK_PER_CORE


def say(message: str) -> None:
    print(message, flush=True)


def seed_tenant(env: dict[str, str], seed_url: str) -> dict:
    """A tenant with a user, a first-party confidential application and the user's id."""
    from authsvc import create_app
    from authsvc.applications.service import create_application
    from authsvc.tenancy import tenant_context
    from authsvc.tenants.service import create_tenant
    from authsvc.users.service import create_user

    settings = {"SECRET_KEY": env["AUTHSVC_SECRET_KEY"], "DATABASE_URL": seed_url}
    app = create_app({**settings, "ENV": "production", "LOG_LEVEL": "WARNING"})
    with app.app_context():
        tenant = create_tenant("oidc", "OIDC bench", settings=seed.BENCH_TENANT_SETTINGS)
        with tenant_context(tenant.id):
            fields = {"email": "rp-user@example.com", "is_verified": True, "password": PASSWORD}
            user = create_user(fields)
            application, secret = create_application(
                {
                    "name": "Bench RP",
                    "redirect_uris": [REDIRECT],
                    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
                    "scopes": ["openid", "profile", "email", "offline_access"],
                    "first_party": True,
                }
            )
            password_hash = user.password_hash
            found = {"user_id": str(user.id), "client_id": application.client_id}
    return {**found, "secret": secret, "tenant_id": str(tenant.id), "hash": password_hash}


class Browser:
    """The user's browser: an HTTP client that keeps the tenant's cookies. They are Secure
    in production, which httpx would not send over the benchmark's plain http."""

    def __init__(self, client: httpx.Client) -> None:
        self.client, self.cookies = client, {}

    def send(self, method: str, path: str, **kwargs) -> httpx.Response:
        header = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        response = self.client.request(method, path, headers={"Cookie": header}, **kwargs)
        for cookie in response.cookies.jar:
            self.cookies[cookie.name] = cookie.value
        return response

    def sign_in(self, slug: str) -> None:
        page = self.send("GET", f"/t/{slug}/login").text
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = {"csrf_token": csrf, "identifier": "rp-user@example.com", "password": PASSWORD}
        answer = self.send("POST", f"/t/{slug}/login", data=form)
        if answer.status_code != 303 or "authsvc_hosted" not in self.cookies:
            raise RuntimeError(f"hosted sign-in failed: {answer.status_code}")


def timed(served: apps.Served, rounds: int, call: Callable[[int], httpx.Response]) -> dict:
    """``rounds`` calls, each latency in ms and the workers' CPU µs per call."""
    latencies = []
    before = served.worker_cpu_seconds()
    for number in range(rounds):
        started = time.perf_counter()
        answer = call(number)
        latencies.append((time.perf_counter() - started) * 1000)
        if answer.status_code >= 400:
            raise RuntimeError(f"{answer.request.url}: {answer.status_code} {answer.text[:200]}")
    cpu = (served.worker_cpu_seconds() - before) / rounds * 1e6
    return {"ms": latencies, "cpu": cpu}


def measure_provider(served: apps.Served, data: dict, rounds: int) -> dict[str, dict]:
    slug, auth = "oidc", (data["client_id"], data["secret"])
    oauth = f"/t/{slug}/oauth2"
    with httpx.Client(base_url=served.url, timeout=30) as client:
        browser = Browser(client)
        browser.sign_in(slug)
        verifiers = [generate_token(48) for _ in range(rounds)]
        codes: list[str] = []

        def authorize(number: int) -> httpx.Response:
            query = {
                "response_type": "code",
                "client_id": data["client_id"],
                "redirect_uri": REDIRECT,
                "scope": "openid profile email offline_access",
                "state": generate_token(16),
                "nonce": generate_token(16),
                "code_challenge": create_s256_code_challenge(verifiers[number]),
                "code_challenge_method": "S256",
            }
            answer = browser.send("GET", f"{oauth}/authorize", params=query)
            codes.append(httpx.URL(answer.headers["Location"]).params["code"])
            return answer

        def exchange(number: int) -> httpx.Response:
            body = {"grant_type": "authorization_code", "code": codes[number]}
            body |= {"redirect_uri": REDIRECT, "code_verifier": verifiers[number]}
            answer = client.post(f"{oauth}/token", data=body, auth=auth)
            tokens.append(answer.json())
            return answer

        tokens: list[dict] = []
        results = {"authorize": timed(served, rounds, authorize)}
        results["token: authorization_code"] = timed(served, rounds, exchange)
        results["round trip (both)"] = {
            "ms": [a + b for a, b in zip(*(results[k]["ms"] for k in list(results)), strict=True)],
            "cpu": sum(results[k]["cpu"] for k in list(results)),
        }
        results |= measure_tokens(served, client, oauth, auth, tokens, rounds)
    return results


def measure_tokens(served, client, oauth: str, auth, tokens: list[dict], rounds: int) -> dict:
    refresh = {"token": tokens[-1]["refresh_token"]}

    def client_credentials(_number: int) -> httpx.Response:
        return client.post(f"{oauth}/token", data={"grant_type": "client_credentials"}, auth=auth)

    def rotate(_number: int) -> httpx.Response:
        body = {"grant_type": "refresh_token", "refresh_token": refresh["token"]}
        answer = client.post(f"{oauth}/token", data=body, auth=auth)
        refresh["token"] = answer.json().get("refresh_token")
        return answer

    def userinfo(number: int) -> httpx.Response:
        bearer = {"Authorization": f"Bearer {tokens[number]['access_token']}"}
        return client.get(f"{oauth}/userinfo", headers=bearer)

    return {
        "token: client_credentials": timed(served, rounds, client_credentials),
        "token: refresh_token": timed(served, rounds, rotate),
        "userinfo": timed(served, rounds, userinfo),
    }


def measure_floors(bare: apps.Served, data: dict, rounds: int) -> dict[str, dict]:
    """The floors of the same run: bare ``GET /``, a one-statement read, argon2id alone."""
    with httpx.Client(base_url=bare.url, timeout=30) as client:
        user = f"/api/v1/users/{data['user_id']}"
        login = {"password": PASSWORD}
        return {
            "bare GET /": timed(bare, rounds, lambda _n: client.get("/")),
            "bare one-statement read": timed(bare, rounds, lambda _n: client.get(user)),
            "bare argon2id login": timed(
                bare, max(rounds // 5, 20), lambda _n: client.post("/login", json=login)
            ),
        }


def measure_bare_again(bare: apps.Served, rounds: int) -> dict:
    """Bare ``GET /`` once more at the end: how much the machine's load moved meanwhile."""
    with httpx.Client(base_url=bare.url, timeout=30) as client:
        return timed(bare, rounds, lambda _n: client.get("/"))


def report(results: dict[str, dict]) -> int:
    bare_cpu = results["bare GET /"]["cpu"]
    say("\n                               p50 ms   p95 ms   CPU µs/req  x bare   per core/s")
    for name, run in results.items():
        p50 = statistics.median(run["ms"])
        p95 = statistics.quantiles(run["ms"], n=100)[94]
        cpu = run["cpu"]
        per_core = 1e6 / cpu if cpu else float("inf")
        say(
            f"{name:<30} {p50:7.2f}  {p95:7.2f}  {cpu:10,.0f}  {cpu / bare_cpu:5.1f}x"
            f"  {per_core:9,.0f}"
        )
    for grant in ("client_credentials", "refresh_token"):
        per_core = 1e6 / results[f"token: {grant}"]["cpu"]
        verdict = "PASS" if per_core >= TARGET_PER_CORE else "MISS"
        say(f"{verdict}  {grant}: {per_core:,.0f} grants/s per core (target {TARGET_PER_CORE})")
    say(f"load average at end: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    return 0


def main(argv: list[str] | None = None) -> int:
    description = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.oidc", description=description)
    parser.add_argument("--rounds", type=int, default=300, help="requests of each kind (300)")
    args = parser.parse_args(argv)
    say(f"load average at start: {os.getloadavg()[0]:.2f} (2 cores, shared)")
    with (
        tempfile.TemporaryDirectory(prefix="authsvc-bench-oidc-") as tmp_name,
        PostgresServer("authsvc_bench_oidc") as pg,
    ):
        tmp = Path(tmp_name)
        env = {**apps.production_env(pg.app_url, tmp / "instance"), **LIMITS}
        seed.authsvc_init(env)
        data = seed_tenant(env, pg.url)
        bare_env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSVC_")}
        bare_env |= {"BENCH_ARGON2_HASH": data["hash"], "BENCH_TENANT_ID": data["tenant_id"]}
        bare_env["BENCH_DATABASE_DSN"] = pg.dsn
        with apps.serve("bare", apps.BARE_TARGET, bare_env, tmp) as bare:
            results = measure_floors(bare, data, args.rounds)
            with apps.serve("authsvc", apps.AUTHSVC_TARGET, env, tmp, probe="/healthz") as app:
                say("floors measured; measuring the provider")
                results |= measure_provider(app, data, args.rounds)
            results["bare GET / (again, last)"] = measure_bare_again(bare, args.rounds)
    return report(results)


if __name__ == "__main__":
    sys.exit(main())
