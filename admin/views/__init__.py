"""The panel's core pages; importing this package registers their routes."""

from admin.views import apikeys, dashboard, plugins, roles, tenants, users  # noqa: F401
