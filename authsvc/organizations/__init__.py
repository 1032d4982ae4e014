"""Organizations inside a tenant: memberships, invitations, the active organization."""


def init_app(app) -> None:
    """Add the organizations' section to a user's export and erasure."""
    from authsvc.organizations import gdpr
    from authsvc.users.gdpr import register_section

    register_section(app, gdpr.SECTION)
