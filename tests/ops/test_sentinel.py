"""``AUTHSVC_REDIS_URL=redis+sentinel://...``: the app follows a Sentinel failover.

A primary, its replica and one Sentinel (Debian's ``redis-server --sentinel``, which
fails over half a second after the primary stops answering). The primary is killed;
once the replica is promoted, revocations are written to it, checked through it, and
the shared rate limit counts in it: no process restarts, no configuration changes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis

from tests.auth.conftest import PASSWORD
from tests.conftest import make_app, unique
from tests.servers import RedisServer, SentinelServer

# Once is enough: Sentinel is about Redis, and production pairs it with PostgreSQL.
pytestmark = pytest.mark.postgres_only

SERVICE = "authsvc-primary"


def _replicating(replica: RedisServer) -> bool:
    info = redis.Redis(port=replica.port).info("replication")
    return info.get("master_link_status") == "up"


def _role(server: RedisServer) -> str:
    return redis.Redis(port=server.port).info("replication").get("role", "")


def _redis_ready(client) -> bool:
    ready = client.get("/readyz")
    return ready.status_code == 200 and ready.json["checks"]["redis"] == "ok"


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


@pytest.fixture(scope="module")
def redis_set() -> Iterator[tuple[RedisServer, RedisServer, SentinelServer]]:
    with (
        RedisServer() as primary,
        RedisServer("--replicaof", "127.0.0.1", str(primary.port)) as replica,
    ):
        _wait(lambda: _replicating(replica), 20, "the replica never synchronised")
        with SentinelServer(SERVICE, primary.port) as sentinel:
            yield primary, replica, sentinel


@pytest.fixture
def sentinel_app(app, database_url, redis_set, tmp_path):
    url = f"redis+sentinel://127.0.0.1:{redis_set[2].port}/{SERVICE}/0"
    instance = make_app(database_url, tmp_path, REDIS_URL=url, RATELIMIT_LOGIN="5/minute")
    yield instance
    instance.extensions["authsvc.cache"].close()
    make_app(database_url, tmp_path)  # the limiter is process-wide


def _api(client, method: str, path: str, key=None, token=None, **kwargs):
    headers = {"X-API-Key": key} if key else {"Authorization": f"Bearer {token}"}
    return client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def _sign_in(client, key: str, email: str) -> str:
    body = {"email": email, "password": PASSWORD}
    response = _api(client, "POST", "/auth/login", key=key, json=body)
    assert response.status_code == 200, response.json
    return response.json["access_token"]


def _revoke_the_other_session(client, key: str, email: str) -> str:
    """Two sessions; the second ends the first (a denylist write). The first's token."""
    gone, kept = _sign_in(client, key, email), _sign_in(client, key, email)
    assert _api(client, "DELETE", "/me/sessions", token=kept).status_code == 204
    return gone


def _denylisted(server: RedisServer) -> int:
    return len(redis.Redis(port=server.port).keys("authsvc:deny:*"))


def _failed_logins(client, key: str) -> list[int]:
    body = {"email": f"{unique('nobody')}@example.com", "password": "wrong password"}
    return [_api(client, "POST", "/auth/login", key=key, json=body).status_code for _ in range(6)]


def test_a_failover_is_followed_without_a_restart(sentinel_app, redis_set, make_tenant, make_key):
    primary, replica, sentinel = redis_set
    client = sentinel_app.test_client()
    key = make_key(make_tenant())
    email = f"{unique('failover')}@example.com"
    body = {"email": email, "password": PASSWORD}
    assert _api(client, "POST", "/auth/register", key=key, json=body).status_code == 201
    gone = _revoke_the_other_session(client, key, email)
    assert _api(client, "GET", "/auth/validate", token=gone).status_code == 401
    assert _denylisted(primary) >= 1
    primary.kill()
    _wait(lambda: sentinel.primary() == replica.port, 30, "Sentinel never promoted the replica")
    # Sentinel names the new primary as it sends it REPLICAOF NO ONE; wait until the
    # replica says it is one, and until the app's client has found it.
    _wait(lambda: _role(replica) == "master", 10, "the replica never became a primary")
    _wait(lambda: _redis_ready(client), 10, "the app never reached the new primary")
    before = _denylisted(replica)  # replicated before the kill
    gone_after = _revoke_the_other_session(client, key, email)
    assert _denylisted(replica) > before, "the revocation went to the promoted replica"
    for token in (gone, gone_after):
        assert _api(client, "GET", "/auth/validate", token=token).status_code == 401
    # A tenant of its own: the sign-ins above count against the same per-address limit.
    assert _failed_logins(client, make_key(make_tenant())) == [401] * 5 + [429]
    assert redis.Redis(port=replica.port).keys("LIMITS*"), "limits count in the new primary"
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json["checks"]["redis"]) == (200, "ok")
