"""Grow the platform to many tenants: time ``create_tenant`` on a sample, bulk-insert the rest.

Bulk tenants get exactly what ``create_tenant`` gives a tenant: the tenant row
with the default settings and its built-in roles (``admin`` and ``member``).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import sqlalchemy as sa

from authsvc.db import new_id, utcnow
from bench.seed import insert_rows

BATCH = 2_000


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summarize_ms(values: list[float]) -> dict[str, float]:
    """Count, mean, p50 and p99 of a list of durations in milliseconds."""
    return {
        "count": len(values),
        "mean_ms": statistics.fmean(values),
        "p50_ms": _percentile(values, 0.50),
        "p99_ms": _percentile(values, 0.99),
    }


def time_create_tenant(count: int, prefix: str) -> list[float]:
    """Create ``count`` tenants through the service; returns each one's duration in ms."""
    from authsvc.tenants.service import create_tenant

    durations = []
    for number in range(count):
        started = time.perf_counter()
        create_tenant(f"{prefix}-{number:05d}", f"Timed tenant {number}")
        durations.append((time.perf_counter() - started) * 1000)
    return durations


def _tenant_and_roles(slug: str) -> tuple[dict, list[dict]]:
    from authsvc.tenants.service import DEFAULT_SETTINGS
    from authsvc.users.models import BUILTIN_ROLES

    now = utcnow()
    tenant_id = new_id()
    tenant = {
        "id": tenant_id,
        "slug": slug,
        "name": slug,
        "settings": dict(DEFAULT_SETTINGS),
        "is_active": True,
        "created_at": now,
        "updated_at": now,
    }
    roles = [
        {
            "tenant_id": tenant_id,
            "id": new_id(),
            "name": name,
            "description": None,
            "permissions": permissions,
            "is_builtin": True,
            "created_at": now,
            "updated_at": now,
        }
        for name, permissions in BUILTIN_ROLES.items()
    ]
    return tenant, roles


def bulk_tenants(engine: sa.Engine, count: int, prefix: str, progress: Callable[[str], None]):
    """Insert ``count`` tenants with their built-in roles, in batches."""
    from authsvc.tenants.models import Tenant
    from authsvc.users.models import Role

    for start in range(0, count, BATCH):
        tenants, roles = [], []
        for number in range(start, min(start + BATCH, count)):
            tenant, builtin = _tenant_and_roles(f"{prefix}-{number:05d}")
            tenants.append(tenant)
            roles.extend(builtin)
        with engine.begin() as conn:
            insert_rows(conn, Tenant.__table__, tenants)
            insert_rows(conn, Role.__table__, roles)
        progress(f"tenants: {start + len(tenants):,}/{count:,} bulk-inserted")


def tenant_count(engine: sa.Engine) -> int:
    from authsvc.tenants.models import Tenant

    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Tenant.__table__)).scalar_one()
