"""End-user authentication: sign-up, login, tokens, sessions, MFA, recovery flows."""

from __future__ import annotations

from flask import Flask

PRUNE_INTERVAL_SECONDS = 3600


def init_app(app: Flask) -> None:
    """The key, tenant, lock and denylist caches, the job that prunes the denylist, and
    the composers of the flows' mail; the flows' and sessions' parts of a user's export."""
    from authsvc.auth import gdpr, notify, throttle
    from authsvc.auth import tenant_policy as settings
    from authsvc.jobs import register_job
    from authsvc.sessions import gdpr as sessions_gdpr
    from authsvc.tokens import denylist, jwt, keys
    from authsvc.users.gdpr import register_section

    keys.init_app(app)
    jwt.init_app(app)
    settings.init_app(app)
    throttle.init_app(app)
    denylist.init_app(app)
    register_job(app, "auth.denylist_prune", denylist.prune, PRUNE_INTERVAL_SECONDS)
    notify.init_app(app)
    register_section(app, gdpr.SECTION)
    register_section(app, sessions_gdpr.SECTION)
