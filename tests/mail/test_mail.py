"""Mail: queued in the caller's transaction, delivered by the mail job over real SMTP."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from authsvc.extensions import db
from authsvc.mail import deliver_due, queue_mail
from authsvc.mail.models import MailMessage
from authsvc.tenancy import tenant_context
from authsvc.tenants.models import Tenant
from tests.conftest import unique
from tests.fixtures.mailbox import free_port

LINK_TOKEN = "tok_secret_abcdef123456"


def _queue(app, tenant, template="verify_email", commit=True, **context):
    """Queue one mail in ``tenant`` as a service would, and commit (or roll back)."""
    address = f"{unique('m')}@example.com"
    with app.app_context(), tenant_context(tenant[0]):
        row = db.session.get(Tenant, tenant[0])
        user = {"email": address, "display_name": "Ada"}
        link = f"http://authsvc.test/t/{tenant[1]}/verify?token={LINK_TOKEN}"
        queue_mail(to=address, template=template, context={"user": user, "link": link, **context})
        assert row is not None
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
    return address


def _message(app, tenant, address) -> MailMessage | None:
    with app.app_context(), tenant_context(tenant[0]):
        statement = sa.select(MailMessage).where(MailMessage.recipient == address)
        return db.session.execute(statement).scalar_one_or_none()


def test_queued_mail_is_delivered_over_smtp_with_themed_text_and_html_parts(app, tenant, mailbox):
    address = _queue(app, tenant)
    assert deliver_due(app) >= 1
    [received] = mailbox.to(address)
    assert received["Subject"] == f"Confirm your email address for {tenant[1].title()}"
    assert "no-reply@localhost" in received["From"]
    text = received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert f"/t/{tenant[1]}/verify?token={LINK_TOKEN}" in text
    assert f'href="http://authsvc.test/t/{tenant[1]}/verify?token={LINK_TOKEN}"' in html
    assert "#2563eb" in html and tenant[1].title() in html
    message = _message(app, tenant, address)
    assert message.status == "sent" and message.sent_at is not None and message.attempts == 1
    assert message.body_text is None and message.body_html is None, "bodies carry tokens"


def test_tenant_sender_settings_name_the_from_header(app, make_tenant, mailbox):
    settings = {"mail_from_name": "Acme Support", "mail_from_address": "help@acme.test"}
    tenant = make_tenant(settings=settings)
    address = _queue(app, tenant)
    deliver_due(app)
    [received] = mailbox.to(address)
    assert received["From"].addresses[0].display_name == "Acme Support"
    assert received["From"].addresses[0].addr_spec == "help@acme.test"


def test_without_smtp_host_mail_is_written_as_eml_and_logged_without_its_body(
    app, tenant, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    address = _queue(app, tenant, template="password_reset", minutes=60)
    with caplog.at_level(logging.INFO, logger="authsvc.mail"):
        deliver_due(app)
    files = [
        p for p in (Path(app.instance_path) / "mail").glob("*.eml") if address in p.read_text()
    ]
    assert len(files) == 1
    assert "Reset your" in files[0].read_text() and LINK_TOKEN in files[0].read_text()
    lines = [r.getMessage() for r in caplog.records if address in r.getMessage()]
    assert len(lines) == 1 and "written to" in lines[0]
    assert LINK_TOKEN not in caplog.text
    assert _message(app, tenant, address).status == "sent"


def test_are_dev_mode_mail_files_readable_by_the_service_user_only(app, tenant, monkeypatch):
    """Without SMTP, mail (live reset links) lands in files: 0600, in a 0700 folder,
    whatever the umask, and an existing folder that was wider is tightened."""
    import os
    import stat

    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    folder = Path(app.instance_path) / "mail"
    folder.mkdir(exist_ok=True)
    folder.chmod(0o755)
    address = _queue(app, tenant, template="password_reset", minutes=60)
    previous = os.umask(0o022)
    try:
        deliver_due(app)
    finally:
        os.umask(previous)
    [written] = [p for p in folder.glob("*.eml") if address in p.read_text()]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def test_smtp_down_keeps_the_mail_queued_with_its_error_then_sends_it_when_up(
    app, tenant, mailbox, monkeypatch
):
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())  # nothing listens there
    monkeypatch.setitem(app.config, "MAIL_RETRY_SCHEDULE", [0, 0, 0])
    address = _queue(app, tenant)
    deliver_due(app)
    message = _message(app, tenant, address)
    assert (message.status, message.attempts) == ("queued", 1)
    assert "Connection" in message.last_error or "refused" in message.last_error
    assert message.body_text is not None and mailbox.to(address) == []

    monkeypatch.setitem(app.config, "SMTP_PORT", mailbox.port)
    deliver_due(app)
    message = _message(app, tenant, address)
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, None)
    assert len(mailbox.to(address)) == 1


def test_a_mail_that_keeps_failing_is_marked_failed_after_the_last_retry(app, tenant, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    monkeypatch.setitem(app.config, "MAIL_RETRY_SCHEDULE", [0, 0])
    address = _queue(app, tenant)
    for _ in range(4):
        deliver_due(app)
    message = _message(app, tenant, address)
    assert (message.status, message.attempts) == ("failed", 3)
    assert message.last_error and message.body_html is None


def test_a_retry_waits_for_its_back_off(app, tenant, monkeypatch):
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", free_port())
    monkeypatch.setitem(app.config, "MAIL_RETRY_SCHEDULE", [3600])
    address = _queue(app, tenant)
    deliver_due(app)
    deliver_due(app)
    assert _message(app, tenant, address).attempts == 1


def test_a_rolled_back_transaction_sends_nothing(app, tenant, mailbox):
    address = _queue(app, tenant, commit=False)
    deliver_due(app)
    assert _message(app, tenant, address) is None
    assert mailbox.to(address) == []


def test_the_webhook_disabled_template_renders_its_context(app, tenant, mailbox):
    address = _queue(
        app,
        tenant,
        template="webhook_disabled",
        endpoint_url="https://hooks.example.com/in",
        reason="50 consecutive failures",
        last_error="HTTP 500",
        manage_url=None,
    )
    deliver_due(app)
    [received] = mailbox.to(address)
    text = received.get_body(("plain",)).get_content()
    assert "https://hooks.example.com/in" in text and "50 consecutive failures" in text


def test_the_mail_job_is_registered_for_the_worker(app):
    from authsvc.jobs import registry

    jobs = {job.name: job for job in registry(app).jobs()}
    assert jobs["mail"].func is deliver_due


def test_mail_carries_the_tenant_theme_colour_and_logo(app, tenant, mailbox):
    import io

    from authsvc.themes import service as themes
    from tests.themes.test_themes import tiny_png

    with app.app_context():
        row = db.session.get(Tenant, tenant[0])
        themes.update_theme(row, {"primary_color": "#c0ffee"})
        themes.save_asset(row, "logo", "logo.png", io.BytesIO(tiny_png()))
    address = _queue(app, tenant)
    deliver_due(app)
    html = mailbox.to(address)[0].get_body(("html",)).get_content()
    assert "#c0ffee" in html
    assert f'src="http://authsvc.test/t/{tenant[1]}/assets/logo?v=' in html


def test_a_tenant_can_override_an_email_template(
    app, tenant, other_tenant, mailbox, tmp_path, monkeypatch
):
    monkeypatch.setitem(app.config, "THEMES_TEMPLATES_PATH", str(tmp_path))
    folder = tmp_path / tenant[1] / "email"
    folder.mkdir(parents=True)
    (folder / "verify_email.txt").write_text(
        '{% set subject = "Welcome aboard" %}Ahoy! Confirm here: {{ link }}\n'
    )
    own, other = _queue(app, tenant), _queue(app, other_tenant)
    deliver_due(app)
    [own_mail], [other_mail] = mailbox.to(own), mailbox.to(other)
    assert own_mail["Subject"] == "Welcome aboard"
    assert own_mail.get_body(("plain",)).get_content().startswith("Ahoy! Confirm here: http")
    assert other_mail["Subject"].startswith("Confirm your email address")


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_mail_is_sent_over_tls_with_a_login(app, tenant, tls_smtp_servers, monkeypatch, mode):
    from tests.fixtures.mailbox import SMTP_PASSWORD, SMTP_USER

    server = tls_smtp_servers[mode]
    server.clear()
    for name, value in {
        "SMTP_HOST": server.host,
        "SMTP_PORT": server.port,
        "SMTP_TLS": mode,
        "SMTP_CA_FILE": str(server.ca_file),
        "SMTP_USERNAME": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
    }.items():
        monkeypatch.setitem(app.config, name, value)
    address = _queue(app, tenant)
    deliver_due(app)
    assert len(server.to(address)) == 1
    assert _message(app, tenant, address).status == "sent"


def test_a_wrong_smtp_password_is_a_visible_failure(app, tenant, tls_smtp_servers, monkeypatch):
    server = tls_smtp_servers["starttls"]
    for name, value in {
        "SMTP_HOST": server.host,
        "SMTP_PORT": server.port,
        "SMTP_TLS": "starttls",
        "SMTP_CA_FILE": str(server.ca_file),
        "SMTP_USERNAME": "mailer",
        "SMTP_PASSWORD": "wrong",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    address = _queue(app, tenant)
    deliver_due(app)
    message = _message(app, tenant, address)
    assert message.status == "queued" and "SMTPAuthenticationError" in message.last_error
    assert "wrong" not in message.last_error


def test_an_untrusted_smtp_certificate_is_refused(app, tenant, tls_smtp_servers, monkeypatch):
    server = tls_smtp_servers["ssl"]
    for name, value in {
        "SMTP_HOST": server.host,
        "SMTP_PORT": server.port,
        "SMTP_TLS": "ssl",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    address = _queue(app, tenant)
    deliver_due(app)
    message = _message(app, tenant, address)
    assert message.status == "queued" and "CERTIFICATE_VERIFY_FAILED" in message.last_error
    assert server.to(address) == []
