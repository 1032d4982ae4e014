"""The worker in this process: per-endpoint cap, retention, and the embedded mode of ``authsvc up``."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta

import httpx
import sqlalchemy as sa

from authsvc.db import utcnow
from authsvc.events import Event
from authsvc.extensions import db
from authsvc.tenancy import tenant_context
from tests.webhooks.conftest import create_webhook, deliveries


def test_one_slow_receiver_cannot_take_every_slot(hooks, receiver, drain, webhook_config):
    webhook_config(WEBHOOKS_CONCURRENCY=4, WEBHOOKS_PER_ENDPOINT_CONCURRENCY=2)
    create_webhook(hooks, receiver.url("slow"))
    create_webhook(hooks, receiver.url("fast"))
    receiver.script("slow", hang=0.4, times=None)
    for i in range(6):
        hooks.post("/users", json={"email": f"cap{i}@example.com"})
    drain()
    assert receiver.max_concurrent["/slow"] == 2
    slow, fast = receiver.at("slow"), receiver.at("fast")
    assert len(slow) == len(fast) == 6
    # The fast endpoint was served beside the slow one, not after it.
    assert max(r.at for r in fast) < sorted(r.at for r in slow)[2]


def test_events_and_deliveries_past_retention_are_pruned(
    app, hooks, receiver, drain, tenant, webhook_config
):
    webhook_config(WEBHOOKS_RETENTION_DAYS=7)
    hook = create_webhook(hooks, receiver.url("old"))
    hooks.post("/users", json={"email": "old@example.com"})
    drain()
    with app.app_context(), tenant_context(tenant[0]):
        db.session.execute(sa.update(Event).values(created_at=utcnow() - timedelta(days=8)))
        db.session.commit()
    hooks.post("/users", json={"email": "new@example.com"})
    drain()
    events = hooks.get("/events").json["items"]
    assert [e["data"]["user"]["email"] for e in events] == ["new@example.com"]
    [kept] = deliveries(hooks, hook["id"])
    assert kept["event_id"] == events[0]["id"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_authsvc_up_delivers_webhooks_out_of_the_box_on_sqlite(tmp_path, receiver):
    """The default mode: one command, SQLite, the embedded worker in the web processes."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHSVC_")}
    env.update(
        AUTHSVC_INSTANCE_PATH=str(tmp_path),
        AUTHSVC_LOG_LEVEL="WARNING",
        AUTHSVC_WEBHOOK_ALLOW_PRIVATE_TARGETS="true",
    )
    command = [sys.executable, "-m", "authsvc.cli", "up", "--port", str(port), "--workers", "2"]
    with (tmp_path / "up.log").open("wb") as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "up.log").read_text()
            time.sleep(0.2)
        key = json.loads((tmp_path / "demo-credentials.json").read_text())["api_key"]
        headers = {"X-API-Key": key}
        hook = httpx.post(
            f"{base}/api/v1/webhooks", json={"url": receiver.url("up")}, headers=headers
        )
        assert hook.status_code == 201
        user = httpx.post(f"{base}/api/v1/users", json={"email": "up@example.com"}, headers=headers)
        assert user.status_code == 201
        [got] = receiver.wait_for("up", 1, timeout=15)
        assert json.loads(got.body)["data"]["user"]["id"] == user.json()["id"]
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
