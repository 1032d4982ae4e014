"""The panel's built-in plugins: Analytics and Settings.

They use the same :class:`~authsvc.plugins.AdminPlugin` interface as installed
plugins, are enabled by default and can be disabled per tenant. The Audit log
is not one of them: it is a core page (:mod:`admin.views.audit`) nobody can disable.
"""

from __future__ import annotations

from authsvc.plugins import AdminPlugin


def builtin_plugins() -> list[AdminPlugin]:
    from admin.builtin import analytics, settings

    return [analytics.plugin, settings.plugin]
