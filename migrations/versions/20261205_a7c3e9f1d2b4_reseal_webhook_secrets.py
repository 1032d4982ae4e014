"""Re-seal webhook secrets with the one at-rest seal (authsvc.secretbox)

Webhook secrets used to be sealed by a helper of their own (AES-GCM under an
HKDF key with no salt, urlsafe base64). Every other secret authsvc reads back
uses authsvc.secretbox, so webhook secrets move to it: read with the old
scheme, written with secretbox's ``webhook secret`` purpose. Both need the
application's ``SECRET_KEY``, so run the migration with the configuration the
application runs with (``authsvc init`` / ``flask db upgrade`` do).

A value the old scheme cannot open with this ``SECRET_KEY`` was already
unreadable (the key changed without rotating the secret). It is reported and
left as it is; rotating that endpoint's secret replaces it.

Revision ID: a7c3e9f1d2b4
Revises: f3a9c1e7b5d2
Create Date: 2026-12-05 17:00:00.000000

"""
import base64

from alembic import op
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from authsvc import secretbox

# revision identifiers, used by Alembic.
revision = 'a7c3e9f1d2b4'
down_revision = 'f3a9c1e7b5d2'
branch_labels = None
depends_on = None

PURPOSE = "webhook secret"  # authsvc.webhooks.signing.SECRET_PURPOSE when this was written
COLUMNS = ("secret_sealed", "previous_secret_sealed")


# The retired scheme, frozen here: the application no longer has it.
def _old_key(secret_key: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"authsvc webhook secrets")
    return hkdf.derive(secret_key.encode())


def _old_unseal(sealed: str, secret_key: str) -> str:
    raw = base64.urlsafe_b64decode(sealed)
    return AESGCM(_old_key(secret_key)).decrypt(raw[:12], raw[12:], b"whsec").decode()


def _old_seal(secret: str, secret_key: str) -> str:
    return base64.urlsafe_b64encode(
        secretbox.seal(_old_key(secret_key), secret.encode(), b"whsec")
    ).decode()


def _new_unseal(sealed: str, secret_key: str) -> str:
    return secretbox.decrypt(sealed, PURPOSE, secret_key).decode()


def _new_seal(secret: str, secret_key: str) -> str:
    return secretbox.encrypt(secret.encode(), PURPOSE, secret_key)


def _reseal(read, write) -> None:
    secret_key = current_app.config["SECRET_KEY"]
    bind = op.get_bind()
    endpoints = sa.table(
        "webhook_endpoints", sa.column("tenant_id"), sa.column("id"),
        *(sa.column(name) for name in COLUMNS),
    )
    rows = bind.execute(
        sa.select(endpoints.c.tenant_id, endpoints.c.id, *(endpoints.c[n] for n in COLUMNS))
    ).all()
    for tenant_id, endpoint_id, *values in rows:
        changed = {}
        for name, value in zip(COLUMNS, values):
            if not value:
                continue
            try:
                changed[name] = write(read(value, secret_key), secret_key)
            except (InvalidTag, ValueError):
                print(
                    f"webhook_endpoints {endpoint_id}: {name} does not open with this"
                    " SECRET_KEY; left as it is (rotate this endpoint's secret)"
                )
        if changed:
            bind.execute(
                sa.update(endpoints)
                .where(endpoints.c.tenant_id == tenant_id, endpoints.c.id == endpoint_id)
                .values(**changed)
            )


def upgrade():
    _reseal(_old_unseal, _new_seal)


def downgrade():
    _reseal(_new_unseal, _old_seal)
