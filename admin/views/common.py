"""Helpers the panel's views share: the actor name and the confirm-then-act page."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template
from flask_login import current_user

from admin.forms import ConfirmForm


def actor() -> str:
    """How the panel's changes are attributed in events and the audit trail."""
    return f"admin:{current_user.email}"


def confirm_then(title: str, message: str, button: str, cancel_url: str, action: Callable[[], str]):
    """Show a confirmation page; run ``action`` (which returns the redirect URL) once confirmed."""
    form = ConfirmForm()
    if form.validate_on_submit():
        return redirect(action())
    status = 400 if form.is_submitted() else 200
    return render_template(
        "admin/confirm.html",
        form=form,
        title=title,
        message=message,
        button=button,
        cancel_url=cancel_url,
    ), status


def flash_done(message: str) -> None:
    flash(message, "success")


def status_of(form) -> int:
    """422 for a submitted form with errors (the page shows them), else 200."""
    return 422 if form.is_submitted() and (form.errors or form.form_errors) else 200
