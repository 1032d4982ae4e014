"""Webhook endpoints of the current tenant: create, edit, test, rotate, the delivery log,
retry and replay.

Signing secrets are shown once, on the page that answers their creation or
rotation. Every action calls :mod:`authsvc.webhooks.service`, as the API does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import flash, redirect, render_template, request, url_for

from admin import bp
from admin.access import require_tenant
from admin.forms import ActionForm, ConfirmForm, ReplayForm, WebhookForm, attach_errors
from admin.views.common import actor, confirm_then, flash_done
from authsvc.errors import Conflict, ValidationFailed
from authsvc.events import EVENT_TYPES
from authsvc.webhooks import deliveries as log
from authsvc.webhooks import service
from authsvc.webhooks.models import FAILED, PENDING, STATES

PAGE_SIZE = 50


def _secret_page(endpoint, secret: str, created: bool):
    html = render_template(
        "admin/webhooks/secret.html", endpoint=endpoint, secret=secret, created=created
    )
    return html, 201 if created else 200, {"Cache-Control": "no-store"}


@bp.get("/webhooks")
def webhooks():
    require_tenant()
    page = service.list_webhooks(request.args.get("cursor") or None, PAGE_SIZE)
    return render_template("admin/webhooks/list.html", page=page)


def event_choices(current: list[str] = ()) -> list[tuple[str, str]]:
    """``*``, a wildcard per family (``user.*``), then every type of the catalogue.

    Patterns an endpoint already has stay choosable, so saving never drops one.
    """
    families = sorted({t.rsplit(".", 1)[0] + ".*" for t in EVENT_TYPES})
    choices = [("*", "Every event (*)")]
    choices += [(f, f"Every {f[:-2]} event ({f})") for f in families]
    choices += [(t, t) for t in EVENT_TYPES]
    known = {value for value, _label in choices}
    return choices + [(p, p) for p in current if p not in known]


def _form(endpoint=None) -> WebhookForm:
    form = WebhookForm(obj=endpoint)
    form.event_types.choices = event_choices(endpoint.event_types if endpoint else ())
    return form


def _data(form: WebhookForm) -> dict:
    return {
        "url": form.url.data.strip(),
        "description": form.description.data or "",
        "event_types": list(form.event_types.data or []),
        "is_active": form.is_active.data,
    }


def _code(form) -> int:
    return 422 if form.is_submitted() and (form.errors or form.form_errors) else 200


@bp.route("/webhooks/new", methods=["GET", "POST"])
def webhook_new():
    require_tenant()
    form = _form()
    if not form.is_submitted():
        form.event_types.data, form.is_active.data = ["*"], True
    if form.validate_on_submit():
        try:
            endpoint, secret = service.create_webhook(_data(form), actor())
        except (Conflict, ValidationFailed) as error:
            attach_errors(form, error)
        else:
            return _secret_page(endpoint, secret, created=True)
    return render_template("admin/webhooks/form.html", form=form, endpoint=None), _code(form)


@bp.route("/webhooks/<webhook_id>", methods=["GET", "POST"])
def webhook_edit(webhook_id: str):
    endpoint = service.get_webhook(webhook_id)
    form = _form(endpoint)
    if form.validate_on_submit():
        try:
            service.update_webhook(endpoint, _data(form), actor())
        except (Conflict, ValidationFailed) as error:
            attach_errors(form, error)
        else:
            flash_done("Webhook saved.")
            return redirect(url_for("admin.webhook_edit", webhook_id=endpoint.id))
    state = request.args.get("state") if request.args.get("state") in STATES else None
    deliveries = service.list_deliveries(endpoint, state, request.args.get("cursor"), PAGE_SIZE)
    return render_template(
        "admin/webhooks/form.html",
        form=form,
        endpoint=endpoint,
        deliveries=deliveries,
        state=state,
        states=STATES,
        rate=log.success_rate(endpoint),
        retryable=(PENDING, FAILED),
    ), _code(form)


@bp.post("/webhooks/<webhook_id>/test")
def webhook_test(webhook_id: str):
    endpoint = service.get_webhook(webhook_id)
    if ActionForm().validate_on_submit():
        try:
            service.send_test(endpoint, actor())
        except Conflict as error:
            flash(error.detail, "warning")
        else:
            flash_done("A webhook.test event is queued; it appears in the deliveries below.")
    return redirect(url_for("admin.webhook_edit", webhook_id=endpoint.id))


@bp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/retry")
def webhook_retry(webhook_id: str, delivery_id: str):
    endpoint = service.get_webhook(webhook_id)
    if ActionForm().validate_on_submit():
        try:
            service.retry_delivery(endpoint, delivery_id)
        except Conflict as error:
            flash(error.detail, "warning")
        else:
            flash_done("The delivery is queued to be sent again now.")
    if request.form.get("back") == "delivery":
        return redirect(
            url_for("admin.webhook_delivery", webhook_id=endpoint.id, delivery_id=delivery_id)
        )
    return redirect(url_for("admin.webhook_edit", webhook_id=endpoint.id))


@bp.get("/webhooks/<webhook_id>/deliveries/<delivery_id>")
def webhook_delivery(webhook_id: str, delivery_id: str):
    """One delivery: the event, each attempt as signed and sent, and each answer."""
    endpoint = service.get_webhook(webhook_id)
    delivery = log.get_delivery(endpoint, delivery_id)
    return render_template(
        "admin/webhooks/delivery.html",
        endpoint=endpoint,
        delivery=delivery,
        attempts=log.attempts(delivery),
        event=log.event_of(delivery),
        retryable=delivery.state in (PENDING, FAILED),
    )


def _since_default() -> datetime:
    return (datetime.now(UTC) - timedelta(hours=24)).replace(second=0, microsecond=0, tzinfo=None)


@bp.route("/webhooks/<webhook_id>/replay", methods=["GET", "POST"])
def webhook_replay(webhook_id: str):
    """Replay failed deliveries since a moment, after a confirmation listing the count."""
    endpoint = service.get_webhook(webhook_id)
    form = ReplayForm()
    if not form.is_submitted():
        form.since.data = _since_default()
    if form.validate_on_submit():
        try:
            count = log.replay_failed_since(endpoint, form.since.data.replace(tzinfo=UTC), actor())
        except Conflict as error:
            form.form_errors.append(error.detail)
        else:
            flash_done(f"{count} failed deliveries are queued to be sent again now.")
            return redirect(url_for("admin.webhook_edit", webhook_id=endpoint.id))
    since = form.since.data.replace(tzinfo=UTC) if form.since.data else None
    count = log.count_failed_since(endpoint, since) if since else None
    return render_template(
        "admin/webhooks/replay.html", form=form, endpoint=endpoint, count=count
    ), _code(form)


@bp.route("/webhooks/<webhook_id>/rotate", methods=["GET", "POST"])
def webhook_rotate(webhook_id: str):
    """A new signing secret, after a confirmation step; the answer shows it once."""
    endpoint = service.get_webhook(webhook_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        _endpoint, secret = service.rotate_secret(endpoint, actor())
        return _secret_page(endpoint, secret, created=False)
    return render_template(
        "admin/confirm.html",
        form=form,
        title="Rotate the signing secret?",
        message="A new secret is created and shown once. Deliveries are signed with both "
        "secrets during the grace period, so receivers can switch without losing events.",
        button="Rotate secret",
        cancel_url=url_for("admin.webhook_edit", webhook_id=endpoint.id),
    ), 400 if form.is_submitted() else 200


@bp.route("/webhooks/<webhook_id>/delete", methods=["GET", "POST"])
def webhook_delete(webhook_id: str):
    endpoint = service.get_webhook(webhook_id)

    def delete() -> str:
        service.delete_webhook(endpoint, actor())
        flash_done("Webhook and its delivery log deleted.")
        return url_for("admin.webhooks")

    return confirm_then(
        f"Delete the webhook to {endpoint.url}?",
        "It stops receiving events and its delivery log is removed.",
        "Delete webhook",
        url_for("admin.webhook_edit", webhook_id=endpoint.id),
        delete,
    )
