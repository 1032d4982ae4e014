"""The panel's core pages; importing this package registers their routes."""

from admin.views import (  # noqa: F401
    admin_links,
    admins,
    apikeys,
    applications,
    audit,
    dashboard,
    my_account,
    organization_members,
    organizations,
    plugins,
    providers,
    roles,
    tenants,
    theme,
    user_csv,
    user_list,
    user_security,
    user_tabs,
    users,
    webhooks,
)
