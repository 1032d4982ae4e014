"""Liveness and readiness probes."""

from __future__ import annotations

from tests.conftest import make_app
from tests.servers import _free_port


def test_healthz_answers_without_touching_anything(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_readyz_is_ok_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"]["database"] == "ok"


def test_readyz_names_the_unmigrated_database(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["status"] == "fail"
    assert "run authsvc init" in response.json["checks"]["database"]


def test_readyz_names_an_unreachable_redis_but_stays_ready(app, database_url, tmp_path):
    """Every process serves without Redis: a shared outage must not empty the load balancer."""
    broken = make_app(database_url, tmp_path, REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0")
    response = broken.test_client().get("/readyz")
    assert response.status_code == 200 and response.json["status"] == "degraded"
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("ConnectionError")
    make_app(database_url, tmp_path)  # give the process-wide limiter its memory storage back


def test_readyz_checks_a_reachable_redis(app, database_url, redis_url, tmp_path):
    with_redis = make_app(database_url, tmp_path, REDIS_URL=redis_url)
    response = with_redis.test_client().get("/readyz")
    assert response.status_code == 200 and response.json["checks"]["redis"] == "ok"
    make_app(database_url, tmp_path)
