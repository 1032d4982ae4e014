"""Sign-in providers of the current tenant: list, add, edit (enable, disable), delete.

Every action calls :mod:`authsvc.federation.service`, as the API does. The
client secret is write-only: the form never shows it, and an empty field keeps
the stored one. Each provider's page shows the redirect URI to register.
"""

from __future__ import annotations

from flask import redirect, render_template, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import ProviderForm, attach_errors
from admin.views.common import actor, confirm_then, flash_done
from authsvc.errors import ValidationFailed
from authsvc.federation import service, status
from authsvc.federation.flow import callback_url, callback_urls
from authsvc.federation.models import IdentityProvider

#: Form fields that go to the service as they are.
PLAIN_FIELDS = ("display_name", "client_id", "enabled", "link_by_email", "trust_upstream_mfa")


def _data(form: ProviderForm, kind: str) -> dict:
    """The service's input from the form: only what was given, so empty keeps."""
    data = {name: getattr(form, name).data for name in PLAIN_FIELDS}
    data["display_name"], data["client_id"] = (
        data["display_name"].strip(),
        data["client_id"].strip(),
    )
    data["icon_url"] = (form.icon_url.data or "").strip() or None
    if form.client_secret.data:
        data["client_secret"] = form.client_secret.data
    if form.scopes.data and form.scopes.data.strip():
        data["scopes"] = form.scopes.data.split()
    if kind == "microsoft" and form.directory.data:
        data["directory"] = form.directory.data.strip()
    if kind in ("oidc", "github") and (form.issuer.data or "").strip():
        data["issuer"] = form.issuer.data.strip()
    elif kind == "oidc":
        data["issuer"] = ""  # required: let the service say so next to the field
    return data


def _code(form) -> int:
    return 422 if form.is_submitted() and (form.errors or form.form_errors) else 200


@bp.get("/sign-in-providers")
def sign_in_providers():
    require_tenant()
    reach = {row.provider_id: row for row in status.reachability()}
    providers = [
        (provider, callback_url(provider), reach[provider.id])
        for provider in service.list_providers()
    ]
    return render_template("admin/providers/list.html", providers=providers)


@bp.route("/sign-in-providers/new", methods=["GET", "POST"])
def sign_in_provider_new():
    require_tenant()
    form = ProviderForm()
    if form.validate_on_submit():
        try:
            data = {**_data(form, form.kind.data), "kind": form.kind.data}
            provider = service.create_provider(data, actor())
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            flash_done("Provider added. Register the redirect URI below at the provider.")
            return redirect(url_for("admin.sign_in_provider_edit", provider_id=provider.id))
    return render_template("admin/providers/form.html", form=form, provider=None), _code(form)


def _form_for(provider: IdentityProvider) -> ProviderForm:
    """The edit form, filled from the provider where the post leaves a field out."""
    shown = {name: getattr(provider, name) for name in (*PLAIN_FIELDS, "issuer", "icon_url")}
    shown["scopes"] = " ".join(provider.scopes)
    if provider.kind == "microsoft":
        shown["directory"] = provider.issuer.rsplit("/", 2)[-2]
    form = ProviderForm(data=shown)
    form.kind.data = provider.kind  # fixed at creation; a posted kind is ignored
    return form


@bp.route("/sign-in-providers/<provider_id>", methods=["GET", "POST"])
def sign_in_provider_edit(provider_id: str):
    provider = service.get_provider(provider_id)
    form = _form_for(provider)
    if form.validate_on_submit():
        try:
            service.update_provider(provider, _data(form, provider.kind), actor())
        except ValidationFailed as error:
            attach_errors(form, error)
        else:
            flash_done("Provider saved.")
            return redirect(url_for("admin.sign_in_provider_edit", provider_id=provider.id))
    page = render_template(
        "admin/providers/form.html",
        form=form,
        provider=provider,
        redirect_uris=callback_urls(provider),
    )
    return page, _code(form)


@bp.route("/sign-in-providers/<provider_id>/delete", methods=["GET", "POST"])
def sign_in_provider_delete(provider_id: str):
    provider = service.get_provider(provider_id)

    def delete() -> str:
        service.delete_provider(provider, actor())
        flash_done("Provider deleted; its users' links to it are gone, the users stay.")
        return url_for("admin.sign_in_providers")

    return confirm_then(
        f"Delete the sign-in provider {provider.display_name}?",
        "Its button disappears and users who signed in only through it must reset a "
        "password to get back in.",
        "Delete provider",
        url_for("admin.sign_in_provider_edit", provider_id=provider.id),
        delete,
    )
