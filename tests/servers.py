"""Throwaway PostgreSQL and Redis servers for one test session.

Each server lives in its own temporary directory, listens on 127.0.0.1 on a free
port and is torn down completely by ``stop()``.  Setting ``AUTHSVC_TEST_POSTGRES_URL``
or ``AUTHSVC_TEST_REDIS_URL`` points the helpers at an existing server instead.
PostgreSQL refuses to run as root, so as root every PostgreSQL binary is run as the
``postgres`` OS user through ``runuser`` and the temporary directory is given to it.

The application connects as ``APP_ROLE``, an ordinary role (no SUPERUSER, no
BYPASSRLS) that owns the databases it migrates, so row-level security applies to it
as in production; ``PostgresServer.url`` stays the superuser's, for fixtures and the
benchmarks that need it. ``AUTHSVC_TEST_POSTGRES_URL`` should name such a role too.
"""

from __future__ import annotations

import atexit
import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Self

import psycopg2
import redis
from psycopg2 import sql

# Durability is worthless for throwaway data, so trade it for speed; connection pools
# from several app instances in one session need more than the default 100 connections.
_PG_CONF = ("fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=200")
# Persistence off: a test Redis holds nothing worth keeping and must not write files.
_REDIS_FLAGS = ("--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no")


# The application's role: may log in and create databases (a browser test makes its
# own), nothing more. Never SUPERUSER or BYPASSRLS: either would skip row-level security.
APP_ROLE = "authsvc_app"


class ServerStartError(RuntimeError):
    """A test server could not be started; the message ends with its log tail."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _log_tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log written)"


def _version_key(name: str) -> list[int]:
    return [int(part) for part in name.split(".") if part.isdigit()]


def _pg_bindir() -> Path:
    """Return the directory holding initdb, pg_ctl and postgres."""
    candidates: list[str] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    # libpq-dev's pg_config names /usr/bin, which has no server binaries on Debian.
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(versions, key=lambda p: _version_key(Path(p).parent.name), reverse=True)
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise ServerStartError("PostgreSQL server binaries (initdb, pg_ctl) not found")


class _Server:
    """Context-manager protocol shared by the servers: enter starts, exit stops."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class PostgresServer(_Server):
    """A private PostgreSQL cluster; use ``with PostgresServer() as pg`` or ``start()``."""

    def __init__(self, database: str = "authsvc_test") -> None:
        self.database = database
        self.port = 0
        self._bindir = Path()
        self._tmp: Path | None = None

    @property
    def dsn(self) -> str:
        """libpq URL of the test database."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{self.database}"

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the test database."""
        return self.url_for(self.database)

    @property
    def app_url(self) -> str:
        """SQLAlchemy URL of the test database for the application's role."""
        return self.url_for(self.database, role=APP_ROLE)

    def url_for(self, database: str, role: str = "postgres") -> str:
        """Return the SQLAlchemy URL of another database on this server."""
        return f"postgresql+psycopg2://{role}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self._bindir / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, cwd=self._tmp, timeout=120)

    def start(self) -> Self:
        """Create the cluster, start it and create the test database."""
        self._bindir = _pg_bindir()
        self._tmp = Path(tempfile.mkdtemp(prefix="authsvc-pg-"))
        atexit.register(self.stop)
        if os.geteuid() == 0:
            shutil.chown(self._tmp, "postgres", "postgres")
        data, sockets, log = self._tmp / "data", self._tmp / "sock", self._tmp / "postgres.log"
        self.port = _free_port()
        flags = ["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]
        init = self._run("initdb", "-D", str(data), *flags)
        if init.returncode != 0:
            self.stop()
            raise ServerStartError(f"initdb failed:\n{init.stdout}{init.stderr}")
        sockets.mkdir()
        if os.geteuid() == 0:
            shutil.chown(sockets, "postgres", "postgres")
        settings = " ".join(f"-c {setting}" for setting in _PG_CONF)
        options = f"-h 127.0.0.1 -p {self.port} -k {shlex.quote(str(sockets))} {settings}"
        pg_ctl = ("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options)
        started = self._run(*pg_ctl, "start")
        if started.returncode != 0:
            tail = _log_tail(log)
            self.stop()
            raise ServerStartError(f"PostgreSQL did not start:\n{started.stderr}\n{tail}")
        try:
            self._create_app_role()
            self.create_database(self.database)
        except psycopg2.Error:
            self.stop()
            raise
        return self

    def _superuser_execute(self, statement: sql.Composable) -> None:
        conn = psycopg2.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres")
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction.
            with conn.cursor() as cur:
                cur.execute(statement)
        finally:
            conn.close()

    def _create_app_role(self) -> None:
        role = sql.Identifier(APP_ROLE)
        self._superuser_execute(
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB").format(role)
        )

    def create_database(self, name: str) -> str:
        """Create database ``name``, owned by the application's role, and return its
        SQLAlchemy URL (the superuser's)."""
        owner = sql.Identifier(APP_ROLE)
        create = sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), owner)
        self._superuser_execute(create)
        return self.url_for(name)

    def stop(self) -> None:
        """Kill the server without a checkpoint and delete its directory; idempotent."""
        atexit.unregister(self.stop)
        if self._tmp is None:
            return
        if (self._tmp / "data" / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self._tmp / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp = None


class RedisServer(_Server):
    """A private redis-server without persistence; use as a context manager or ``start()``.

    ``stop()`` then ``start()`` again restarts it on the same port (an outage).
    """

    def __init__(self, *flags: str) -> None:
        self.port = 0
        self._flags = flags
        self._tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Redis URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20.0) -> Self:
        """Start redis-server and wait until it answers PING."""
        executable = shutil.which("redis-server")
        if executable is None:
            raise ServerStartError("redis-server not found")
        self._tmp = Path(tempfile.mkdtemp(prefix="authsvc-redis-"))
        atexit.register(self.stop)
        self.port = self.port or _free_port()
        log = self._tmp / "redis.log"
        flags = ["--port", str(self.port), "--dir", str(self._tmp), *_REDIS_FLAGS, *self._flags]
        with log.open("wb") as out:
            self._process = subprocess.Popen(
                [executable, *flags], stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while True:
            client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
            try:
                if client.ping():
                    return self
            except redis.exceptions.RedisError:  # Refused, timed out, still loading.
                pass
            finally:
                client.close()
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = _log_tail(log)
                self.stop()
                raise ServerStartError(f"redis-server did not answer PING:\n{tail}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the server, as a crash would; ``stop()`` still cleans up."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def stop(self) -> None:
        """Terminate the server and delete its directory; idempotent."""
        atexit.unregister(self.stop)
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


class SentinelServer(_Server):
    """A Redis Sentinel (``redis-server <conf> --sentinel``) that fails a primary over fast.

    One sentinel and a quorum of one: enough to prove that clients follow a
    failover, not a highly available deployment.
    """

    def __init__(self, service: str, primary_port: int) -> None:
        self.service, self.primary_port = service, primary_port
        self.port = 0
        self._tmp: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 20.0) -> Self:
        """Write the configuration (Sentinel rewrites it), start, wait for the primary's name."""
        self._tmp = Path(tempfile.mkdtemp(prefix="authsvc-sentinel-"))
        atexit.register(self.stop)
        self.port = _free_port()
        conf, log = self._tmp / "sentinel.conf", self._tmp / "sentinel.log"
        conf.write_text(
            f"port {self.port}\nbind 127.0.0.1\ndir {self._tmp}\n"
            f"sentinel monitor {self.service} 127.0.0.1 {self.primary_port} 1\n"
            f"sentinel down-after-milliseconds {self.service} 500\n"
            f"sentinel failover-timeout {self.service} 5000\n"
        )
        with log.open("wb") as out:
            self._process = subprocess.Popen(
                [shutil.which("redis-server") or "redis-server", str(conf), "--sentinel"],
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.primary() == self.primary_port:
                    return self
            except redis.exceptions.RedisError:
                pass
            if self._process.poll() is not None or time.monotonic() > deadline:
                tail = _log_tail(log)
                self.stop()
                raise ServerStartError(f"redis-server --sentinel did not start:\n{tail}")
            time.sleep(0.1)

    def primary(self) -> int | None:
        """The port of the primary the Sentinel currently names."""
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1)
        try:
            address = client.sentinel_get_master_addr_by_name(self.service)
        finally:
            client.close()
        return int(address[1]) if address else None

    def stop(self) -> None:
        """Terminate the Sentinel and delete its directory; idempotent."""
        atexit.unregister(self.stop)
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None


def postgres_url_or_start() -> tuple[str, Callable[[], None]]:
    """Return (the application role's SQLAlchemy URL, stopper), from
    AUTHSVC_TEST_POSTGRES_URL or a new server."""
    if url := os.environ.get("AUTHSVC_TEST_POSTGRES_URL"):
        return url, lambda: None  # Not ours to stop.
    server = PostgresServer().start()
    return server.app_url, server.stop


def redis_url_or_start() -> tuple[str, Callable[[], None]]:
    """Return (Redis URL, stopper), from AUTHSVC_TEST_REDIS_URL or a new server."""
    if url := os.environ.get("AUTHSVC_TEST_REDIS_URL"):
        return url, lambda: None  # Not ours to stop.
    server = RedisServer().start()
    return server.url, server.stop
