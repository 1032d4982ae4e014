"""The throwaway PostgreSQL and Redis servers start, answer and release their ports."""

import socket

import psycopg2
import pytest
import redis

from tests.servers import PostgresServer, RedisServer, postgres_url_or_start, redis_url_or_start


def port_is_free(port: int) -> bool:
    """Nothing listens on the port and a new server could bind it.

    SO_REUSEADDR is what real servers set, so connections left in TIME_WAIT by the
    stopped server do not count as occupying the port.
    """
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return False
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def test_postgres_server_accepts_connections_and_runs_queries():
    """Does a started PostgreSQL server answer `select 1` on its test database?"""
    with PostgresServer() as server:
        assert server.url.startswith("postgresql+psycopg2://postgres@127.0.0.1:")
        conn = psycopg2.connect(server.dsn)
        try:
            with conn.cursor() as cur:
                cur.execute("select 1, current_database()")
                assert cur.fetchone() == (1, "authsvc_test")
        finally:
            conn.close()


def test_postgres_create_database_returns_a_usable_url():
    """Can a test create a second database on the same server and connect to it?"""
    with PostgresServer(database="first") as server:
        url = server.create_database("authsvc_second")
        assert url.endswith(f":{server.port}/authsvc_second")
        conn = psycopg2.connect(
            host="127.0.0.1", port=server.port, user="postgres", dbname="authsvc_second"
        )
        try:
            with conn.cursor() as cur:
                cur.execute("select current_database()")
                assert cur.fetchone() == ("authsvc_second",)
        finally:
            conn.close()


def test_postgres_stop_frees_the_port_and_removes_the_cluster():
    """After stop(), is the port free again and the temporary directory gone?"""
    server = PostgresServer().start()
    port, directory = server.port, server._tmp
    assert directory is not None and directory.exists()
    server.stop()
    assert port_is_free(port)
    assert not directory.exists()
    server.stop()  # A second stop is harmless, so teardown code need not track state.


def test_redis_server_answers_ping_and_stop_frees_the_port():
    """Does a started Redis answer PING, and is its port free after stop()?"""
    server = RedisServer().start()
    try:
        client = redis.Redis.from_url(server.url)
        try:
            assert client.ping() is True
        finally:
            client.close()
    finally:
        server.stop()
    assert port_is_free(server.port)
    server.stop()


def test_url_helpers_use_configured_servers_without_starting_any(monkeypatch):
    """With AUTHSVC_TEST_*_URL set, are those URLs used and nothing started?"""
    monkeypatch.setenv("AUTHSVC_TEST_POSTGRES_URL", "postgresql+psycopg2://ci@db:5432/x")
    monkeypatch.setenv("AUTHSVC_TEST_REDIS_URL", "redis://cache:6379/3")
    monkeypatch.setattr(PostgresServer, "start", pytest.fail)
    monkeypatch.setattr(RedisServer, "start", pytest.fail)
    pg_url, stop_pg = postgres_url_or_start()
    redis_url, stop_redis = redis_url_or_start()
    assert (pg_url, redis_url) == ("postgresql+psycopg2://ci@db:5432/x", "redis://cache:6379/3")
    stop_pg()
    stop_redis()
