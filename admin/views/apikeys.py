"""API keys of the current tenant: create (shown once), list with last use, revoke."""

from __future__ import annotations

from datetime import timedelta

from flask import render_template, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import ApiKeyForm, attach_errors
from admin.views.common import actor, confirm_then, flash_done
from authsvc.apikeys import service
from authsvc.apikeys.models import SCOPES
from authsvc.db import utcnow
from authsvc.errors import ValidationFailed


@bp.get("/api-keys")
def api_keys():
    require_tenant()
    return render_template("admin/api_keys/list.html", keys=service.list_api_keys(), now=utcnow())


@bp.route("/api-keys/new", methods=["GET", "POST"])
def api_key_new():
    """Create a key; the answer is the only page that ever shows its secret."""
    require_tenant()
    form = ApiKeyForm()
    form.scopes.choices = [(name, f"{name} — {text}") for name, text in SCOPES.items()]
    if form.validate_on_submit():
        days = form.expires_in_days.data
        try:
            key, plaintext = service.create_api_key(
                form.name.data.strip(),
                form.scopes.data or [],
                expires_at=utcnow() + timedelta(days=days) if days else None,
                actor=actor(),
            )
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            # Rendered, not redirected: the plaintext must not travel in a URL or session.
            response = render_template("admin/api_keys/created.html", key=key, plaintext=plaintext)
            return response, 201, {"Cache-Control": "no-store"}
    status = 422 if form.is_submitted() and (form.errors or form.form_errors) else 200
    return render_template("admin/api_keys/form.html", form=form), status


@bp.route("/api-keys/<key_id>/revoke", methods=["GET", "POST"])
def api_key_revoke(key_id: str):
    key = service.get_api_key(key_id)

    def revoke() -> str:
        service.revoke_api_key(key, actor=actor())
        flash_done(f"Key {key.name} ({key.prefix}) revoked.")
        return url_for("admin.api_keys")

    return confirm_then(
        f"Revoke the key {key.name}?",
        "Applications using it are refused at once with Redis, within "
        "AUTHSVC_AUTH_DENYLIST_POLL_SECONDS without it. This cannot be undone.",
        "Revoke key",
        url_for("admin.api_keys"),
        revoke,
    )
