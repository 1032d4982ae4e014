"""The panel's built-in plugins: Analytics, Audit log and Settings.

They use the same :class:`~authsvc.plugins.AdminPlugin` interface as installed
plugins, are enabled by default and can be disabled per tenant.
"""

from __future__ import annotations

from authsvc.plugins import AdminPlugin


def builtin_plugins() -> list[AdminPlugin]:
    from admin.builtin import analytics, audit, settings

    return [analytics.plugin, audit.plugin, settings.plugin]
