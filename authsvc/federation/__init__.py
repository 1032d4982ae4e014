"""Sign-in with external identity providers (OpenID Connect, Entra ID, Google) per tenant."""

from __future__ import annotations

from flask import Flask

from authsvc.federation import flow


def init_app(app: Flask) -> None:
    """Set the ``FEDERATION_*`` defaults and the authlib client registry, and add the
    identities to a user's export and erasure."""
    from authsvc.federation import gdpr
    from authsvc.users.gdpr import register_section

    app.config.setdefault("FEDERATION_ALLOW_HTTP_LOOPBACK", False)
    flow.init_app(app)
    register_section(app, gdpr.SECTION)
