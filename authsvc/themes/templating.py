"""Per-tenant template overrides: ``templates/tenants/<slug>/<name>`` before ``<name>``.

Rationale: Jinja caches compiled templates by name, so a loader that answered
the same name differently per tenant would leak one tenant's template to the
next request. Instead the environment *renames*: while a tenant's templates are
active, ``hosted/login.html`` is looked up as ``tenants/<slug>/hosted/login.html``
when that file exists, so each tenant's override is cached under its own name.
``{% extends %}`` and ``{% include %}`` go through the same lookup; an override
that extends its own name gets the default, so it can wrap it.

Overrides are active only where code asks for them (hosted pages, emails), so
the admin panel's chrome is never tenant-controlled, and names under
:data:`PROTECTED` (security-critical partials) are never overridden.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app, g, has_app_context
from flask.templating import Environment
from jinja2 import BaseLoader, TemplateNotFound
from werkzeug.security import safe_join

PREFIX = "tenants/"
#: Template names (or folders, ending in "/") a tenant can never replace.
PROTECTED = ("admin/", "errors/", "security/", "tenants/", "hosted/_csrf.html")

_active_slug: ContextVar[str | None] = ContextVar("authsvc_template_tenant", default=None)


@contextmanager
def tenant_templates(slug: str | None) -> Iterator[None]:
    """Resolve templates with ``slug``'s overrides inside this block."""
    token = _active_slug.set(slug)
    try:
        yield
    finally:
        _active_slug.reset(token)


def activate_for_request(slug: str) -> None:
    """Use ``slug``'s overrides for the rest of this request (hosted pages)."""
    g.template_tenant = slug


def _overrides_root() -> str:
    return current_app.config["THEMES_TEMPLATES_PATH"]


def _override_path(slug: str, name: str) -> str | None:
    return safe_join(_overrides_root(), slug, name)


class TenantOverrideLoader(BaseLoader):
    """Loads ``tenants/<slug>/<name>`` from the overrides folder (``THEMES_TEMPLATES_PATH``)."""

    def get_source(self, environment, template):
        if not template.startswith(PREFIX) or not has_app_context():
            raise TemplateNotFound(template)
        path = safe_join(_overrides_root(), template[len(PREFIX) :])
        if path is None or not os.path.isfile(path):
            raise TemplateNotFound(template)
        mtime = os.path.getmtime(path)
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        return source, path, lambda: os.path.isfile(path) and os.path.getmtime(path) == mtime


class TenantEnvironment(Environment):
    """Flask's environment, with tenant overrides applied to every template lookup."""

    def resolve_name(self, name: str, parent: str | None = None) -> str:
        slug = _active_slug.get() or (g.get("template_tenant") if has_app_context() else None)
        if not slug or not isinstance(name, str) or name.startswith(PROTECTED):
            return name
        candidate = f"{PREFIX}{slug}/{name}"
        if candidate == parent:
            return name  # the override extends or includes its own default
        path = _override_path(slug, name)
        return candidate if path is not None and os.path.isfile(path) else name

    def get_template(self, name, parent=None, globals=None):  # noqa: A002 - Jinja's signature
        if isinstance(name, str):
            if parent is not None:
                name = self.join_path(name, parent)
            name = self.resolve_name(name, parent)
        return super().get_template(name, globals=globals)

    def select_template(self, names, parent=None, globals=None):  # noqa: A002
        if isinstance(names, list | tuple):
            if parent is not None:
                names = [self.join_path(name, parent) for name in names]
            names = [self.resolve_name(name, parent) for name in names]
        return super().select_template(names, globals=globals)
