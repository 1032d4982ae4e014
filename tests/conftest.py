"""Shared fixtures: the app on SQLite and on a real PostgreSQL server, tenants, keyed clients.

Every test that takes ``app`` runs twice, once per backend. Tests isolate
themselves by creating their own tenants (unique slugs), which is exactly the
isolation the product promises; nothing is truncated between tests.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from authsvc import create_app
from authsvc.tenancy import tenant_context
from tests.servers import postgres_url_or_start, redis_url_or_start

# Fixture modules shared by several test folders.
pytest_plugins = ["tests.fixtures.mailbox", "tests.fixtures.receiver", "tests.fixtures.domains"]


#: The folders of the longest test files (browsers, Next.js, several processes) run first:
#: the two workers, handed whole files in this order, then finish together instead of
#: one waiting for the other's last long file.
LONGEST_FIRST = ("tests/browser/", "tests/clients/", "tests/ops/")


def _order(item) -> int:
    return next(
        (rank for rank, folder in enumerate(LONGEST_FIRST) if item.nodeid.startswith(folder)),
        len(LONGEST_FIRST),
    )


def pytest_collection_modifyitems(config, items):
    """The longest folders first (a stable sort keeps each file's order); tests marked
    ``postgres_only`` run only in their ``[postgresql]`` variant."""
    items.sort(key=_order)
    reason = "needs PostgreSQL (row locks, SKIP LOCKED, LISTEN/NOTIFY, row-level security)"
    skip = pytest.mark.skip(reason=reason)
    for item in items:
        if item.get_closest_marker("postgres_only"):
            params = getattr(item, "callspec", None)
            if params is None or params.params.get("backend") != "postgresql":
                item.add_marker(skip)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url, stop = postgres_url_or_start()
    yield url
    stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url, stop = redis_url_or_start()
    yield url
    stop()


def make_app(database_url: str, tmp_path, **overrides):
    config = {
        "ENV": "testing",
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "BASE_URL": "http://authsvc.test",
        # Cheap argon2id for the tests (thousands of hashes a run): a hash costs ~1 ms
        # instead of ~40 ms. Production's OWASP parameters are the defaults; tests that
        # are about them set them again, and the benchmarks measure them.
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        **overrides,
    }
    return create_app(config)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def per_backend() -> dict:
    """What is built once per backend in a session: its database URL and its app.

    pytest rebuilds a session fixture each time its parameter changes, and with the
    suite spread over workers file by file (``-n 2 --dist loadfile``) it changes in
    almost every file: building the app and migrating its database again each time
    cost a quarter of the suite. Kept here, the first build is reused.
    """
    return {}


@pytest.fixture(scope="session")
def database_url(backend, request, tmp_path_factory, per_backend) -> str:
    if ("url", backend) not in per_backend:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'authsvc.db'}"
        else:
            url = request.getfixturevalue("postgres_url")
        per_backend["url", backend] = url
    return per_backend["url", backend]


@pytest.fixture(scope="session")
def app(backend, database_url, tmp_path_factory, per_backend):
    if ("app", backend) not in per_backend:
        app = make_app(database_url, tmp_path_factory.mktemp("instance"))
        with app.app_context():
            upgrade()
        per_backend["app", backend] = app
    return per_backend["app", backend]


def _on_server(postgres_url: str, statement: str) -> None:
    """Run ``statement`` on the test PostgreSQL server, outside any transaction (as
    CREATE and DROP DATABASE must), from its ``postgres`` database."""
    server = sa.engine.make_url(postgres_url).set(database="postgres")
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def fresh_database(postgres_url: str, prefix: str = "authsvc_test") -> str:
    """A new, empty database on the test PostgreSQL server; its URL."""
    name = f"{prefix}_{secrets.token_hex(4)}"
    _on_server(postgres_url, f'CREATE DATABASE "{name}"')
    return sa.engine.make_url(postgres_url).set(database=name).render_as_string(False)


def drop_database(database_url: str) -> None:
    _on_server(database_url, f'DROP DATABASE "{sa.engine.make_url(database_url).database}"')


@pytest.fixture
def fresh_database_url(backend, request, tmp_path):
    """A new, empty database of the session's backend (migrations step by step, a second
    instance)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return fresh_database(request.getfixturevalue("postgres_url"), "authsvc_migration")


@pytest.fixture
def client(app):
    return app.test_client()


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


@pytest.fixture(scope="session")
def make_tenant(app):
    """Create a tenant with a unique slug."""
    from authsvc.tenants.service import create_tenant

    def factory(**kwargs):
        slug = kwargs.pop("slug", None) or unique("t")
        with app.app_context():
            tenant = create_tenant(slug, kwargs.pop("name", slug.title()), **kwargs)
            return tenant.id, tenant.slug

    return factory


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


@pytest.fixture
def other_tenant(make_tenant):
    return make_tenant()


class ApiClient:
    """A test client that sends one API key on every request, as a tenant app would."""

    def __init__(self, client, key: str, tenant_id, slug: str) -> None:
        self.client, self.key, self.tenant_id, self.slug = client, key, tenant_id, slug

    def _call(self, method: str, path: str, **kwargs):
        headers = {"X-API-Key": self.key, **kwargs.pop("headers", {})}
        return self.client.open(f"/api/v1{path}", method=method, headers=headers, **kwargs)

    def get(self, path, **kw):
        return self._call("GET", path, **kw)

    def post(self, path, **kw):
        return self._call("POST", path, **kw)

    def patch(self, path, **kw):
        return self._call("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self._call("DELETE", path, **kw)


@pytest.fixture(scope="session")
def make_key(app):
    """Create an API key for a tenant: (tenant_id, slug) -> plaintext key."""
    from authsvc.apikeys.service import create_api_key

    def factory(tenant, scopes=("admin",), **kwargs):
        with app.app_context(), tenant_context(tenant[0]):
            _key, plaintext = create_api_key(kwargs.pop("name", "test"), list(scopes), **kwargs)
        return plaintext

    return factory


@pytest.fixture(scope="session")
def api_client(app, make_key):
    """``api_client(tenant, scopes)``: a client authenticated with a fresh key of that tenant."""

    def factory(tenant, scopes=("admin",)):
        return ApiClient(app.test_client(), make_key(tenant, scopes), tenant[0], tenant[1])

    return factory


@pytest.fixture(scope="session")
def make_user(api_client):
    """Create a user through the API in a tenant; returns the JSON user."""
    clients: dict = {}

    def factory(tenant, **fields):
        client = clients.setdefault(tenant, api_client(tenant, ["users:write"]))
        body = {"email": f"{unique('u')}@example.com", **fields}
        response = client.post("/users", json=body)
        assert response.status_code == 201, response.json
        return response.json

    return factory
