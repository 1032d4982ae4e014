"""authsvc: a multi-tenant identity platform. ``create_app`` is the factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from authsvc.config import PROJECT_ROOT, load


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the application: load config, initialise extensions and subsystems, register
    blueprints, error handlers and commands. No database writes, no network calls."""
    settings = load(config)
    app = Flask(
        __name__,
        instance_path=settings["INSTANCE_PATH"],
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.from_mapping(settings)

    from authsvc import (
        cache,
        connections,
        cookie_session,
        errors,
        events,
        mail,
        models,
        observability,
        security_headers,
        static_assets,
        storable,
        tenancy,
        themes,
    )
    from authsvc.extensions import csrf, db, limiter, migrate
    from authsvc.users import gdpr

    # Observability first: its after_request hook then runs last and sees the final response.
    observability.init_app(app)
    # First URL-value preprocessor: refuses unstorable text before any hook reads the request.
    storable.init_app(app)
    cookie_session.init_app(app)
    models.import_all()
    # First, so the profile leads a user's export; domains add their sections after it.
    gdpr.init_app(app)
    db.init_app(app)
    events.init_app(app)
    connections.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    tenancy.init_app(app)
    cache.init_app(app)
    themes.init_app(app)
    security_headers.init_app(app)
    static_assets.init_app(app)
    # After themes: CSRFProtect adds csrf_token() to the tenant-aware Jinja environment.
    csrf.init_app(app)
    errors.init_app(app)
    mail.init_app(app)

    import admin
    from authsvc import (
        api,
        applications,
        auth,
        cli,
        federation,
        health,
        hosted,
        metrics,
        organizations,
        provider,
        webhooks,
    )
    from authsvc.apikeys import authentication as credentials
    from authsvc.tokens import wellknown

    credentials.init_app(app)
    auth.init_app(app)
    health.init_app(app)
    limiter.exempt(health.bp)
    metrics.init_app(app)
    limiter.exempt(metrics.bp)
    api.init_app(app)
    # After the API: its credential check must run before the limiter counts the call.
    limiter.init_app(app)
    federation.init_app(app)
    organizations.init_app(app)
    applications.init_app(app)
    webhooks.init_app(app)
    hosted.init_app(app)
    provider.init_app(app)
    app.register_blueprint(wellknown.bp)
    app.register_blueprint(wellknown.domain_bp)
    admin.init_app(app)
    cli.init_app(app)
    observability.trust_proxies(app)
    return app
