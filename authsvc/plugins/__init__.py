"""The admin plugin registry: typed plugins, registered in code or from entry points.

Rationale: the panel is extended the way CTFd and Flask-Admin are, but with the
registry held per application in ``app.extensions["authsvc.plugins"]`` (never
a module global) and frozen once the factory has finished, so the set of
plugins, their routes and their nav entries cannot change under a running
server. Built-in pages (Analytics, Settings) use this very interface; the
Audit log is a core page instead, which no tenant can disable, and no plugin
may take its slug. External plugins come from the ``authsvc.admin_plugins``
entry-point group; one that fails to load is logged and skipped, and
``SAFE_MODE`` boots without any of them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from flask import Blueprint, Flask, current_app
from werkzeug.local import LocalProxy
from werkzeug.utils import import_string

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "authsvc.admin_plugins"
SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
#: Slugs no plugin may use: a plugin named like a core page could pass for it.
RESERVED_SLUGS = frozenset({"audit"})
#: What an admin may be allowed to do; plugins name one of these.
PERMISSIONS = ("tenant:admin", "platform:admin")


class RegistryFrozen(RuntimeError):
    """A plugin was registered after start-up."""


class PluginError(ValueError):
    """A plugin definition cannot be used; the message says why."""


@dataclass(frozen=True)
class AdminPlugin:
    """One admin panel extension.

    ``blueprint`` (whose landing view is named ``index``) or a single ``view``
    is mounted under ``/admin/p/<slug>/``
    and reached only by signed-in admins holding ``permission`` whose current
    tenant has the plugin enabled; otherwise its URLs answer 404.
    ``dashboard_widget`` returns HTML for the dashboard; ``settings_form`` is
    a Flask-WTF form class whose data is stored per tenant.
    """

    name: str
    slug: str
    nav_label: str
    blueprint: Blueprint | None = None
    view: Callable[..., Any] | None = None
    icon: str = "puzzle"
    permission: str = "tenant:admin"
    template_folder: str | None = None
    dashboard_widget: Callable[[], Any] | None = None
    settings_form: type | None = None
    builtin: bool = False
    enabled_by_default: bool = False
    description: str = ""

    def validate(self) -> None:
        if not SLUG_PATTERN.match(self.slug):
            raise PluginError(f"plugin slug {self.slug!r}: use lower-case letters, digits, '-'")
        if self.slug in RESERVED_SLUGS:
            raise PluginError(f"plugin slug {self.slug!r} is reserved for a core page")
        if (self.blueprint is None) == (self.view is None):
            raise PluginError(f"plugin {self.slug!r}: give exactly one of blueprint or view")
        if self.permission not in PERMISSIONS:
            raise PluginError(f"plugin {self.slug!r}: permission must be one of {PERMISSIONS}")

    def make_blueprint(self) -> Blueprint:
        """The blueprint to mount: the plugin's own, or one wrapping its single view."""
        if self.blueprint is not None:
            return self.blueprint
        bp = Blueprint(
            f"plugin_{self.slug.replace('-', '_')}",
            self.view.__module__,
            template_folder=self.template_folder,
        )
        bp.add_url_rule("/", "index", self.view)
        return bp


class PluginRegistry:
    """The plugins of one application, keyed by slug; frozen after start-up."""

    def __init__(self) -> None:
        self._plugins: dict[str, AdminPlugin] = {}
        self._by_blueprint: dict[str, AdminPlugin] = {}
        self._endpoints: dict[str, str] = {}
        self.frozen = False
        self.failures: dict[str, str] = {}

    def register(self, plugin: AdminPlugin) -> AdminPlugin:
        """Add a plugin; raises :class:`RegistryFrozen` after start-up, PluginError if bad."""
        if self.frozen:
            raise RegistryFrozen(f"cannot register plugin {plugin.slug!r} after start-up")
        if not isinstance(plugin, AdminPlugin):
            raise PluginError(f"expected an AdminPlugin, got {type(plugin).__name__}")
        plugin.validate()
        if plugin.slug in self._plugins:
            raise PluginError(f"a plugin with slug {plugin.slug!r} is already registered")
        self._plugins[plugin.slug] = plugin
        return plugin

    def freeze(self) -> None:
        self.frozen = True

    def get(self, slug: str) -> AdminPlugin | None:
        return self._plugins.get(slug)

    def for_blueprint(self, blueprint_name: str | None) -> AdminPlugin | None:
        """The plugin whose routes serve ``blueprint_name`` (None for core pages)."""
        if not blueprint_name:
            return None
        return self._by_blueprint.get(blueprint_name.split(".")[0])

    def __iter__(self) -> Iterator[AdminPlugin]:
        return iter(sorted(self._plugins.values(), key=lambda p: (not p.builtin, p.name)))

    def mount(self, app: Flask) -> None:
        """Register every plugin's routes under /admin/p/<slug>/; a failing one is dropped."""
        for plugin in list(self._plugins.values()):
            try:
                blueprint = plugin.make_blueprint()
                app.register_blueprint(blueprint, url_prefix=f"/admin/p/{plugin.slug}")
            except Exception as exc:  # a broken plugin must not take the panel down
                self._fail(plugin.slug, exc)
                del self._plugins[plugin.slug]
                continue
            self._by_blueprint[blueprint.name] = plugin
            self._endpoints[plugin.slug] = f"{blueprint.name}.index"

    def blueprint_names(self) -> list[str]:
        """The names of the mounted plugins' blueprints."""
        return list(self._by_blueprint)

    def index_endpoint(self, slug: str) -> str:
        """The endpoint of a plugin's landing page (its blueprint's ``index`` view)."""
        return self._endpoints[slug]

    def _fail(self, name: str, exc: BaseException) -> None:
        self.failures[name] = f"{type(exc).__name__}: {exc}"
        log.error("admin plugin %s failed to load and is skipped: %s", name, self.failures[name])

    def load_external(self, app: Flask) -> None:
        """Register plugins from ``ADMIN_PLUGINS`` and the entry-point group, skipping failures."""
        for source in app.config.get("ADMIN_PLUGINS") or ():
            name = source if isinstance(source, str) else getattr(source, "slug", repr(source))
            self._try_register(name, lambda source=source: _resolve(source))
        for entry_point in entry_points(group=ENTRY_POINT_GROUP):
            self._try_register(entry_point.name, lambda ep=entry_point: _resolve(ep.load()))

    def _try_register(self, name: str, load: Callable[[], AdminPlugin]) -> None:
        try:
            self.register(load())
        except Exception as exc:  # import errors, bad definitions, duplicate slugs
            self._fail(name, exc)


def _resolve(source: Any) -> AdminPlugin:
    """An AdminPlugin from an object, a factory returning one, or an import path."""
    if isinstance(source, str):
        source = import_string(source)
    if callable(source) and not isinstance(source, AdminPlugin):
        source = source()
    return source


def init_app(app: Flask, builtins: list[AdminPlugin]) -> PluginRegistry:
    """Build, fill, mount and freeze the registry of ``app``."""
    registry = PluginRegistry()
    for plugin in builtins:
        registry.register(plugin)
    if app.config["SAFE_MODE"]:
        log.warning("SAFE_MODE: external admin plugins are not loaded")
    else:
        registry.load_external(app)
    registry.mount(app)
    registry.freeze()
    app.extensions["authsvc.plugins"] = registry
    return registry


registry: PluginRegistry = LocalProxy(lambda: current_app.extensions["authsvc.plugins"])  # type: ignore[assignment]
