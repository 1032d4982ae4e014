"""End-user authentication: sign-up, login, tokens, sessions, MFA, recovery flows."""

from __future__ import annotations

from flask import Flask

PRUNE_INTERVAL_SECONDS = 3600


def init_app(app: Flask) -> None:
    """Key, tenant and denylist caches, the worker job that forgets expired denylist entries,
    and the composers of the flows' mail."""
    from authsvc.auth import notify
    from authsvc.auth import tenant_policy as settings
    from authsvc.jobs import register_job
    from authsvc.tokens import denylist, keys

    keys.init_app(app)
    settings.init_app(app)
    denylist.init_app(app)
    register_job(app, "auth.denylist_prune", denylist.prune, PRUNE_INTERVAL_SECONDS)
    notify.init_app(app)
