"""A lean webhook receiver for the benchmark: asyncio HTTP/1.1 with keep-alive, always 200.

The benchmark's receiver runs on the same two cores as the workers and
PostgreSQL, so every microsecond it spends is taken from them; the test
receiver (``tests/fixtures/receiver.py``, a thread per connection and
``http.server``'s parsing) costs several times more per request. This one is
still a real HTTP server on loopback: it reads each request's headers and
``Content-Length`` body, answers ``200`` with a short body on the same
connection, and records what arrived (path, headers, body, time) with the
interface of the test receiver that the benchmark uses (``url``,
``wait_for``, ``stop``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

RESPONSE = b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok"
MAX_HEAD = 64 * 1024


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


class LeanReceiver:
    def __init__(self) -> None:
        self.received: dict[str, list[Received]] = {}
        self._lock = threading.Lock()
        self._waiters: list[tuple[str, int, threading.Event]] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="bench-receiver", daemon=True)
        self.port = 0

    def start(self) -> LeanReceiver:
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def url(self, name: str = "hook") -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def wait_for(self, name: str, count: int, timeout: float = 10.0) -> list[Received]:
        """Block until ``/name`` has received ``count`` requests; returns them."""
        path = f"/{name}"
        reached = threading.Event()
        with self._lock:
            if len(self.received.get(path, ())) >= count:
                reached.set()
            else:
                self._waiters.append((path, count, reached))
        reached.wait(timeout)
        with self._lock:
            self._waiters = [w for w in self._waiters if w[2] is not reached]
            return list(self.received.get(path, ()))

    def _record(self, item: Received) -> None:
        with self._lock:
            got = self.received.setdefault(item.path, [])
            got.append(item)
            for path, count, reached in self._waiters:
                if path == item.path and len(got) >= count:
                    reached.set()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(
            asyncio.start_server(self._connection, "127.0.0.1", 0, limit=MAX_HEAD)
        )
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")
                path = request_line.split(" ", 2)[1]
                headers = {}
                for line in lines:
                    if line:
                        key, _, value = line.partition(":")
                        headers[key.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", 0)))
                self._record(Received(path, headers, body, time.time()))
                writer.write(RESPONSE)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass  # The sender closed the connection (or sent garbage): drop it.
        finally:
            writer.close()
