"""Profile GET /api/v1/users/{id} in-process on SQLite: CPU per request and where it goes.

Run: .venv/bin/python -m bench.profile_read (a throwaway SQLite file in a temp folder).
"""

from __future__ import annotations

import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from flask_migrate import upgrade

from authsvc import create_app
from authsvc.apikeys.service import create_api_key
from authsvc.tenancy import tenant_context
from authsvc.tenants.service import create_tenant
from authsvc.users.service import create_user

REQUESTS = 2000


def main() -> None:
    tmp = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "ENV": "production",
            "DATABASE_URL": f"sqlite:///{tmp / 'profile.db'}",
            "INSTANCE_PATH": str(tmp),
            "SECRET_KEY": "k" * 48,
            "BASE_URL": "http://authsvc.test",
            "LOG_LEVEL": "WARNING",
            "RATELIMIT_DEFAULT": "1000000/minute",
        }
    )
    with app.app_context():
        upgrade()
        tenant = create_tenant("profile", "Profile")
        with tenant_context(tenant.id):
            _row, key = create_api_key("profile", ["users:read"])
            user_id = str(create_user({"email": "p@example.com"}).id)
    client, headers = app.test_client(), {"X-API-Key": key}
    path = f"/api/v1/users/{user_id}"
    for _ in range(200):  # warm-up: caches, compiled statements
        assert client.get(path, headers=headers).status_code == 200
    started = time.process_time()
    for _ in range(REQUESTS):
        client.get(path, headers=headers)
    print(f"CPU per request: {(time.process_time() - started) / REQUESTS * 1e6:,.0f} µs")
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(REQUESTS):
        client.get(path, headers=headers)
    profile.disable()
    pstats.Stats(profile).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
