"""The admin plugin registry: entry points, code registration, failures, safe mode, per tenant."""

from __future__ import annotations

import logging

import pytest
from flask import Blueprint

from authsvc.plugins import AdminPlugin, RegistryFrozen
from tests.admin.conftest import AdminClient
from tests.conftest import make_app

broken_bp = Blueprint("broken_widget", __name__)


@broken_bp.get("/")
def index():
    return "broken plugin page"


def _explode():
    raise RuntimeError("widget exploded")


BROKEN_WIDGET = AdminPlugin(
    name="Broken widget",
    slug="broken-widget",
    nav_label="Broken",
    blueprint=broken_bp,
    dashboard_widget=_explode,
    enabled_by_default=True,
)


def not_a_plugin():
    return {"slug": "nope"}


@pytest.fixture
def plugin_app(app, database_url, tmp_path):
    """A second app on the same (migrated) database, with extra plugins registered in code."""

    def factory(**config):
        return make_app(database_url, tmp_path, **config)

    return factory


def _signed_in(app, make_admin, *tenants, platform=False) -> AdminClient:
    client = AdminClient(app.test_client(), make_admin(*tenants, platform=platform))
    assert client.login().status_code == 302
    return client


def test_installed_example_plugin_is_found_through_its_entry_point(app):
    registry = app.extensions["authsvc.plugins"]
    hello = registry.get("hello")
    assert hello is not None and not hello.builtin
    assert [p.slug for p in registry if p.builtin] == ["analytics", "settings"]


def test_example_plugin_is_off_until_a_tenant_enables_it(admin_client, tenant, other_tenant):
    client = admin_client(tenant)
    assert client.get("/admin/p/hello/").status_code == 404
    assert "/admin/p/hello/" not in client.get("/admin/").text
    client.post("/admin/plugins/hello/enable")
    dashboard = client.get("/admin/").text
    assert 'href="/admin/p/hello/"' in dashboard, "nav entry"
    assert "from the hello plugin" in dashboard, "dashboard widget"
    page = client.get("/admin/p/hello/")
    assert page.status_code == 200 and f"Hello, {tenant[1].title()}!" in page.text
    # Enabling is per tenant: B's admin still gets 404.
    other = admin_client(other_tenant)
    assert other.get("/admin/p/hello/").status_code == 404


def test_plugin_settings_are_stored_per_tenant(admin_client, tenant):
    client = admin_client(tenant)
    client.post("/admin/plugins/hello/enable")
    empty = client.post("/admin/plugins/hello/settings", {"greeting": ""})
    assert empty.status_code == 422 and "This field is required." in empty.text
    assert client.post("/admin/plugins/hello/settings", {"greeting": "Ahoy"}).status_code == 302
    assert "Ahoy, " in client.get("/admin/p/hello/").text


def test_registering_after_start_up_raises(app):
    with pytest.raises(RegistryFrozen):
        app.extensions["authsvc.plugins"].register(BROKEN_WIDGET)


def test_plugins_that_fail_to_load_are_logged_and_skipped(plugin_app, make_admin, tenant, caplog):
    caplog.set_level(logging.ERROR, logger="authsvc.plugins")
    app = plugin_app(
        ADMIN_PLUGINS=[
            "tests.admin.no_such_module:plugin",
            "tests.admin.test_admin_plugins:not_a_plugin",
            AdminPlugin(name="Bad", slug="Bad Slug!", nav_label="Bad", view=index),
            AdminPlugin(name="Dup", slug="analytics", nav_label="Dup", view=index),
        ]
    )
    registry = app.extensions["authsvc.plugins"]
    assert {p.slug for p in registry} >= {"analytics", "settings", "hello"}
    assert len(registry.failures) == 4
    assert "failed to load and is skipped" in caplog.text
    client = _signed_in(app, make_admin, tenant)
    assert client.get("/admin/").status_code == 200
    assert "ModuleNotFoundError" not in client.get("/admin/plugins").text, "not for tenant admins"
    platform = _signed_in(app, make_admin, platform=True)
    platform.switch(tenant)
    page = platform.get("/admin/plugins").text
    assert "tests.admin.no_such_module:plugin" in page and "ModuleNotFoundError" in page


def test_a_failing_dashboard_widget_is_left_out(plugin_app, make_admin, tenant, caplog):
    app = plugin_app(ADMIN_PLUGINS=[BROKEN_WIDGET])
    client = _signed_in(app, make_admin, tenant)
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200 and "Sign-ups and logins" in dashboard.text
    assert "widget exploded" in caplog.text
    assert client.get("/admin/p/broken-widget/").text == "broken plugin page"


def test_safe_mode_boots_with_builtin_plugins_only(plugin_app, make_admin, tenant):
    app = plugin_app(SAFE_MODE=True, ADMIN_PLUGINS=[BROKEN_WIDGET])
    registry = app.extensions["authsvc.plugins"]
    assert [p.slug for p in registry] == ["analytics", "settings"]
    client = _signed_in(app, make_admin, tenant)
    assert client.get("/admin/p/hello/").status_code == 404
    assert "Safe mode is on" in client.get("/admin/plugins").text


def test_platform_only_plugin_is_hidden_from_tenant_admins(plugin_app, make_admin, tenant):
    platform_plugin = AdminPlugin(
        name="Ops",
        slug="ops",
        nav_label="Ops",
        view=index,
        permission="platform:admin",
        enabled_by_default=True,
    )
    app = plugin_app(ADMIN_PLUGINS=[platform_plugin])
    tenant_admin = _signed_in(app, make_admin, tenant)
    assert tenant_admin.get("/admin/p/ops/").status_code == 404
    assert tenant_admin.post("/admin/plugins/ops/disable").status_code == 404
    platform = _signed_in(app, make_admin, platform=True)
    platform.switch(tenant)
    assert platform.get("/admin/p/ops/").text == "broken plugin page"
