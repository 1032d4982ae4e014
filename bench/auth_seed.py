"""Setting up the authentication benchmark: settings, seeded tenants, users, sessions, tokens."""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from argon2 import PasswordHasher

from authsvc import create_app
from authsvc.db import new_id, utcnow
from authsvc.extensions import db
from bench import seed

STARTED = time.monotonic()
API = "/api/v1"
PASSWORD = "bench correct horse battery"
ARGON2 = {"time_cost": 2, "memory_cost": 19456, "parallelism": 1}
# The limiter stays on (its storage is still consulted) but must not cap the figures.
LIMITS = {
    "AUTHSVC_RATELIMIT_DEFAULT": "1000000/minute",
    "AUTHSVC_RATELIMIT_LOGIN": "1000000/minute",
    "AUTHSVC_RATELIMIT_LOGIN_PER_ACCOUNT": "1000000/minute",
    "AUTHSVC_RATELIMIT_REFRESH": "1000000/minute",
}
USERS = {"main": 2000, "timing": 300, "lock": 10}
BEARER_TOKENS = 200


def say(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f}s] {message}", flush=True)


class BenchError(RuntimeError):
    """The benchmark could not set up what it measures."""


@dataclass(frozen=True)
class Tenant:
    """A seeded tenant: its keys and its users (``user<n>@example.com``, in order)."""

    slug: str
    id: uuid.UUID
    auth_key: str
    admin_key: str
    user_ids: list[uuid.UUID]

    @staticmethod
    def email(number: int) -> str:
        return f"user{number:06d}@example.com"


def _seeding_app(env: dict[str, str], url: str):
    """The harness's own app (logging warnings only), on the measured apps' database and key,
    connected as ``url`` (the superuser: it writes outside the row-level security policies)."""
    names = ("SECRET_KEY", "INSTANCE_PATH")
    settings = {name: env[f"AUTHSVC_{name}"] for name in names}
    return create_app(
        {**settings, "DATABASE_URL": url, "ENV": "production", "LOG_LEVEL": "WARNING"}
    )


def seed_tenants(engine: sa.Engine, password_hash: str) -> dict[str, Tenant]:
    """Tenants through the services, users in bulk sharing one precomputed argon2id hash."""
    from authsvc.apikeys.service import create_api_key
    from authsvc.tenancy import tenant_context
    from authsvc.users.models import User

    made = seed.create_bench_tenants(len(USERS), prefix="auth")
    tenants = {}
    for (name, count), made_tenant in zip(USERS.items(), made, strict=True):
        with tenant_context(made_tenant.id):
            _row, auth_key = create_api_key("bench-auth", ["auth"], actor="bench")
            _row, admin_key = create_api_key("bench-admin", ["admin"], actor="bench")
        ids = seed.bulk_users(engine, [made_tenant.id], count, say)
        users = User.__table__
        with engine.begin() as conn:
            conn.execute(
                sa.update(users)
                .where(users.c.tenant_id == made_tenant.id)
                .values(password_hash=password_hash)
            )
        user_ids = ids[made_tenant.id]
        tenants[name] = Tenant(made_tenant.slug, made_tenant.id, auth_key, admin_key, user_ids)
    return tenants


def seed_sessions(engine: sa.Engine, tenant: Tenant, count: int) -> tuple[list[dict], list[str]]:
    """``count`` sessions, each with one unused refresh token ``rt_…`` (stored as SHA-256)."""
    from authsvc.sessions.models import RefreshToken, Session
    from authsvc.sessions.service import REFRESH_PREFIX, token_hash

    now = utcnow()
    common = {"tenant_id": tenant.id, "created_at": now}
    raws = [REFRESH_PREFIX + secrets.token_urlsafe(32) for _ in range(count)]
    owners = [tenant.user_ids[number % len(tenant.user_ids)] for number in range(count)]
    sessions = [
        {**common, "id": new_id(), "user_id": owner, "last_seen_at": now}
        | {"device_id": secrets.token_hex(16), "expires_at": now + timedelta(days=30)}
        for owner in owners
    ]
    tokens = [
        {**common, "id": new_id(), "session_id": session["id"], "token_hash": token_hash(raw)}
        for session, raw in zip(sessions, raws, strict=True)
    ]
    with engine.begin() as conn:
        seed.insert_rows(conn, Session.__table__, sessions)
        seed.insert_rows(conn, RefreshToken.__table__, tokens)
    return sessions, raws


def mint_access_tokens(tenant: Tenant, sessions: list[dict]) -> list[str]:
    """Access tokens for seeded sessions, signed by the product's own code and key."""
    from authsvc.auth.tenant_policy import policy_for
    from authsvc.tenancy import tenant_context
    from authsvc.tenants.models import Tenant as TenantRow
    from authsvc.tokens.jwt import issue_access_token
    from authsvc.users.models import User

    with tenant_context(tenant.id):
        rules = policy_for(db.session.get(TenantRow, tenant.id))
        wanted = {s["user_id"] for s in sessions}
        found = db.session.execute(sa.select(User).where(User.id.in_(wanted))).scalars()
        users = {user.id: user for user in found}
        return [
            issue_access_token(
                user=users[s["user_id"]], session_id=s["id"], tenant_slug=tenant.slug, policy=rules
            )[0]
            for s in sessions
        ]


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def prepare(
    env: dict[str, str], tmp: Path, refresh_tokens: int, seed_url: str
) -> tuple[dict, dict[str, Path]]:
    """Migrate, seed (on ``seed_url``), and write the files the Lua script reads."""
    say("authsvc init")
    seed.authsvc_init(env)
    password_hash = PasswordHasher(**ARGON2).hash(PASSWORD)
    app = _seeding_app(env, seed_url)
    with app.app_context():
        tenants = seed_tenants(db.engine, password_hash)
        main = tenants["main"]
        warmup = refresh_tokens // 5
        sessions, raws = seed_sessions(db.engine, main, BEARER_TOKENS + warmup + refresh_tokens)
        say(f"{len(sessions):,} sessions with refresh tokens bulk-inserted")
        bearer = mint_access_tokens(main, sessions[:BEARER_TOKENS])
        seed.analyze(db.engine)
    files = {
        "logins": write_lines(tmp / "logins.txt", [Tenant.email(n) for n in range(USERS["main"])]),
        "bearer": write_lines(tmp / "bearer.txt", bearer),
        "refresh_warmup": write_lines(
            tmp / "refresh-warmup.txt", raws[BEARER_TOKENS : BEARER_TOKENS + warmup]
        ),
        "refresh": write_lines(tmp / "refresh.txt", raws[BEARER_TOKENS + warmup :]),
    }
    return {"app": app, "password_hash": password_hash, **tenants}, files
