"""The theme editor: colours, font, custom CSS, logo and favicon of the current tenant.

Validation (colours, font stack, CSS sanitising, upload sniffing) is the theme
service's; this page only maps its ``ValidationFailed`` errors onto the fields.
The preview shows the saved theme without JavaScript; ``static/admin/theme-preview.js``
updates it while the colours are being edited.
"""

from __future__ import annotations

from flask import redirect, render_template, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import ThemeAssetForm, ThemeForm, attach_errors
from admin.views.common import actor, confirm_then, flash_done
from authsvc.errors import ValidationFailed
from authsvc.themes import service
from authsvc.themes.models import ASSET_KINDS, DEFAULTS


def _render(form: ThemeForm, assets: ThemeAssetForm, status: int = 200):
    tenant = require_tenant()
    return render_template(
        "admin/theme.html",
        form=form,
        assets=assets,
        theme=service.resolve_theme(tenant),
        hosted_login=url_for("hosted.login", slug=tenant.slug),
    ), status


@bp.route("/theme", methods=["GET", "POST"])
def theme_editor():
    tenant = require_tenant()
    stored = service.get_theme(tenant)
    form = ThemeForm(obj=stored)
    if form.validate_on_submit():
        data = {name: getattr(form, name).data for name in DEFAULTS}
        data["custom_css"] = form.custom_css.data or None
        try:
            service.update_theme(tenant, data, actor=actor())
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            flash_done("Theme saved; hosted pages and emails use it now.")
            return redirect(url_for("admin.theme_editor"))
    status = 422 if form.is_submitted() and (form.errors or form.form_errors) else 200
    return _render(form, ThemeAssetForm(formdata=None), status)


@bp.post("/theme/assets")
def theme_assets():
    """Upload a logo and/or favicon (sniffed, size-limited, SVG sanitised by the service)."""
    tenant = require_tenant()
    assets = ThemeAssetForm()
    if assets.validate_on_submit():
        uploads = [(kind, getattr(assets, kind).data) for kind in ASSET_KINDS]
        uploads = [(kind, file) for kind, file in uploads if file and file.filename]
        try:
            for kind, file in uploads:
                service.save_asset(tenant, kind, file.filename, file.stream, actor=actor())
        except ValidationFailed as error:
            attach_errors(assets, error)
        else:
            flash_done("Uploaded." if uploads else "Choose a file to upload.")
            return redirect(url_for("admin.theme_editor"))
    form = ThemeForm(formdata=None, obj=service.get_theme(tenant))
    return _render(form, assets, 422)


@bp.route("/theme/reset", methods=["GET", "POST"])
def theme_reset():
    tenant = require_tenant()

    def reset() -> str:
        service.reset_theme(tenant, actor=actor())
        flash_done("Theme reset to the defaults.")
        return url_for("admin.theme_editor")

    return confirm_then(
        "Reset the theme?",
        "Colours and font go back to the defaults; custom CSS, logo and favicon are removed.",
        "Reset theme",
        url_for("admin.theme_editor"),
        reset,
    )
