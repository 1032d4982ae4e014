"""The data migration that re-seals webhook secrets with authsvc.secretbox, both ways.

The sealed values below were written by the retired helper
(``authsvc.webhooks.signing.seal`` before a7c3e9f1d2b4) under the test app's
``SECRET_KEY``, and one under another key; they are the stored format the
migration meets in a real database.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from authsvc.extensions import db
from authsvc.tenancy import platform_scope, tenant_context
from authsvc.webhooks import signing
from authsvc.webhooks.models import WebhookEndpoint
from tests.conftest import make_app, unique

BEFORE = "f3a9c1e7b5d2"  # the revision before a7c3e9f1d2b4
CURRENT = "whsec_" + "A" * 32
PREVIOUS = "whsec_" + "B" * 32
OLD_CURRENT = (
    "HpkOIWaVs-0Zh7r9_BYfZ154_3TOXARwzwNmjUHA6SEukxrzXld51H5fRUG5ro1T3z3B_WqoiRAgrsJN2PIVSENm"
)
OLD_PREVIOUS = (
    "Q_qgd9e-Ys27HbDt4SA4OxwaCmDyW5xn7slAIh27HQ9awlipphKZYMyvOXcKOCh4uzRWV5Q7Umq-OhaVzgmJntoE"
)
# Sealed under another SECRET_KEY: it was unreadable before the migration, too.
OLD_FOREIGN = (
    "29pTNeqPMppF4uY_ywjCLkdXaeMKhpyOTURuUyRfTWQVC5aJ7mZQjXJzLewnJmE7jK8mM2fqlTQh-wSmrrN5pNUa"
)


def _sealed() -> dict[str, tuple[str, str | None]]:
    with platform_scope():
        rows = db.session.execute(
            sa.select(
                WebhookEndpoint.url,
                WebhookEndpoint.secret_sealed,
                WebhookEndpoint.previous_secret_sealed,
            )
        ).all()
    db.session.rollback()
    return {url: (current, previous) for url, current, previous in rows}


def test_are_old_webhook_secrets_resealed_and_still_sign_with_the_same_secret(
    fresh_database_url, tmp_path, capsys
):
    from authsvc.tenants.service import create_tenant

    app = make_app(fresh_database_url, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        tenant = create_tenant(unique("t"), "T")
        with tenant_context(tenant.id):
            db.session.add_all(
                [
                    WebhookEndpoint(
                        url="https://hooks.example/rotated",
                        secret_sealed=OLD_CURRENT,
                        previous_secret_sealed=OLD_PREVIOUS,
                    ),
                    WebhookEndpoint(url="https://hooks.example/plain", secret_sealed=OLD_CURRENT),
                    WebhookEndpoint(url="https://hooks.example/foreign", secret_sealed=OLD_FOREIGN),
                ]
            )
            db.session.commit()

        upgrade()

        rows = _sealed()
        current, previous = rows["https://hooks.example/rotated"]
        assert signing.unseal(current) == CURRENT and signing.unseal(previous) == PREVIOUS
        current, previous = rows["https://hooks.example/plain"]
        assert signing.unseal(current) == CURRENT and previous is None
        assert current != OLD_CURRENT  # a fresh nonce: not the old bytes re-labelled
        assert rows["https://hooks.example/foreign"] == (OLD_FOREIGN, None)
        assert "does not open with this SECRET_KEY" in capsys.readouterr().out

        downgrade(revision=BEFORE)  # back to the old scheme: upgrading again reads it
        old = _sealed()
        assert old["https://hooks.example/rotated"][0] not in (current, OLD_CURRENT)
        upgrade()
        current, previous = _sealed()["https://hooks.example/rotated"]
        assert signing.unseal(current) == CURRENT and signing.unseal(previous) == PREVIOUS
        db.session.remove()
        db.engine.dispose()
