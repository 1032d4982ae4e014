"""Sign-in with identity providers (OpenID Connect, Entra ID, Google, GitHub) per tenant."""

from __future__ import annotations

from flask import Flask

from authsvc.federation import flow


def init_app(app: Flask) -> None:
    """Set the ``FEDERATION_*`` defaults and the authlib client registry, and add the
    identities to a user's export and erasure."""
    from authsvc.federation import gdpr
    from authsvc.users.gdpr import register_section

    app.config.setdefault("FEDERATION_ALLOW_HTTP_LOOPBACK", False)
    # Long enough for the browser's hop to the app and the app's exchange call.
    app.config.setdefault("FEDERATION_CODE_TTL_SECONDS", 60)
    app.config.setdefault("FEDERATION_HTTP_TIMEOUT_SECONDS", 10)
    flow.init_app(app)
    register_section(app, gdpr.SECTION)
