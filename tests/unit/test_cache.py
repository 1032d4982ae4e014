"""The one cache helper: TTL, bounds, invalidation here and, over real Redis, elsewhere."""

from __future__ import annotations

import socket
import time

import pytest

from authsvc.cache import LocalCache, caches, register
from tests.conftest import make_app


class Clock:
    """A deterministic monotonic clock for TTL tests."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_does_an_entry_expire_exactly_after_its_ttl():
    clock = Clock()
    cache = LocalCache("things", ttl=5, maxsize=10, timer=clock)
    cache.set("a", 1)
    clock.now += 4.9
    assert cache.get("a") == 1
    clock.now += 0.2
    assert cache.get("a") is None


def test_are_a_uuid_and_its_text_the_same_key():
    import uuid

    cache = LocalCache("things", ttl=5, maxsize=10)
    key = uuid.uuid4()
    cache.set(key, "x")
    assert cache.get(str(key)) == "x"


def test_does_get_or_load_keep_a_negative_answer():
    cache = LocalCache("things", ttl=5, maxsize=10)
    calls = []

    def load():
        calls.append(1)

    assert cache.get_or_load("missing", load) is None
    assert cache.get_or_load("missing", load) is None
    assert calls == [1]


def test_is_a_value_loaded_during_an_invalidation_left_unstored():
    """A load that raced with an invalidation must not put the old value back."""
    cache = LocalCache("things", ttl=5, maxsize=10)

    def load_while_someone_invalidates():
        cache.invalidate("k")
        return "stale"

    assert cache.get_or_load("k", load_while_someone_invalidates) == "stale"
    assert cache.get("k") is None
    assert cache.get_or_load("k", lambda: "fresh") == "fresh"
    assert cache.get("k") == "fresh"


def test_does_get_or_load_many_load_only_the_missing_keys_in_one_call():
    cache = LocalCache("things", ttl=5, maxsize=10)
    cache.set("a", False)
    calls = []

    def load(keys):
        calls.append(list(keys))
        return {key: key == "c" for key in keys}

    assert cache.get_or_load_many(["a", "b", "c"], load) == {"a": False, "b": False, "c": True}
    assert calls == [["b", "c"]]
    assert cache.get_or_load_many(["c", "b"], load) == {"c": True, "b": False}
    assert calls == [["b", "c"]]  # all three answered from the cache now


def test_are_many_values_loaded_during_an_invalidation_left_unstored():
    cache = LocalCache("things", ttl=5, maxsize=10)

    def load_while_someone_invalidates(keys):
        cache.invalidate("x")
        return dict.fromkeys(keys, "stale")

    answers = cache.get_or_load_many(["x", "y"], load_while_someone_invalidates)
    assert answers == {"x": "stale", "y": "stale"}
    assert cache.get("x") is None and cache.get("y") is None


def test_does_a_ttl_of_zero_turn_the_cache_off():
    cache = LocalCache("things", ttl=0, maxsize=10)
    cache.set("a", 1)
    assert cache.get("a") is None
    assert cache.get_or_load("a", lambda: 2) == 2
    assert len(cache) == 0


def test_does_a_full_cache_evict_instead_of_growing():
    cache = LocalCache("things", ttl=60, maxsize=3)
    for n in range(10):
        cache.set(n, n)
    assert len(cache) == 3
    assert cache.get(9) == 9


def test_does_invalidate_and_clear_drop_entries_here():
    cache = LocalCache("things", ttl=60, maxsize=10)
    cache.set("a", 1)
    cache.set("b", 2)
    cache.invalidate("a")
    assert (cache.get("a"), cache.get("b")) == (None, 2)
    cache.clear()
    assert cache.get("b") is None


def _wait(condition, seconds: float = 15.0) -> bool:
    """Poll ``condition`` until true or a generous deadline passes."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def redis_apps(redis_url, tmp_path):
    """Two apps (as two processes would be) sharing one Redis, each with a test cache."""
    apps = []
    for name in ("a", "b"):
        instance = make_app(f"sqlite:///{tmp_path / name}.db", tmp_path / name, REDIS_URL=redis_url)
        register(instance, "test.things", "CACHE_TTL_SECONDS", 100)
        apps.append(instance)
    yield apps
    for instance in apps:
        instance.extensions["authsvc.cache"].close()
    make_app(f"sqlite:///{tmp_path / 'c'}.db", tmp_path)  # the limiter is process-wide


def _subscribed(instance) -> bool:
    with instance.app_context():
        caches["test.things"]  # starts the subscriber on first use
        return caches.subscribed


def test_does_an_invalidation_in_one_process_reach_the_other_over_redis(redis_apps):
    first, second = redis_apps
    assert _wait(lambda: _subscribed(first) and _subscribed(second))
    with second.app_context():
        caches["test.things"].set("k", "old")
        assert caches["test.things"].get("k") == "old"
    with first.app_context():
        caches.invalidate("test.things", "k")

    def gone() -> bool:
        with second.app_context():
            return caches["test.things"].get("k") is None

    assert _wait(gone)


def test_does_a_clear_in_one_process_reach_the_other_over_redis(redis_apps):
    first, second = redis_apps
    assert _wait(lambda: _subscribed(first) and _subscribed(second))
    with second.app_context():
        caches["test.things"].set("a", 1)
        caches["test.things"].set("b", 2)
    with first.app_context():
        caches.clear("test.things")

    def empty() -> bool:
        with second.app_context():
            return len(caches["test.things"]) == 0

    assert _wait(empty)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_does_a_process_that_cannot_subscribe_keep_nothing(tmp_path):
    """Unsubscribed, it could miss invalidations: it loads every time instead."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    instance = make_app(f"sqlite:///{tmp_path}/x.db", tmp_path, REDIS_URL=url)
    register(instance, "test.things", "CACHE_TTL_SECONDS", 100)
    calls = []
    try:
        with instance.app_context():
            for _ in range(3):
                caches["test.things"].get_or_load("k", lambda: calls.append(1) or "v")
            # Publishing to an unreachable Redis is logged, never raised: the change is made.
            caches.invalidate("test.things", "k")
            assert caches.subscribed is False
    finally:
        instance.extensions["authsvc.cache"].close()
        make_app(f"sqlite:///{tmp_path}/y.db", tmp_path)
    assert calls == [1, 1, 1]


def test_can_a_cache_name_be_registered_only_once(tmp_path):
    instance = make_app(f"sqlite:///{tmp_path}/x.db", tmp_path)
    register(instance, "test.things", "CACHE_TTL_SECONDS", 10)
    with pytest.raises(ValueError, match="already registered"):
        register(instance, "test.things", "CACHE_TTL_SECONDS", 10)
