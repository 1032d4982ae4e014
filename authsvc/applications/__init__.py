"""OAuth 2.0 / OpenID Connect clients of a tenant ("applications") and users' grants to them."""


def init_app(app) -> None:
    """Add the applications' section to a user's export and erasure."""
    from authsvc.applications import gdpr
    from authsvc.users.gdpr import register_section

    register_section(app, gdpr.SECTION)
