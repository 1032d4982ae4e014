"""The data migration that recomputes stored email keys (issue 11.12), on both databases."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

from authsvc.admins.models import Admin
from authsvc.db import new_id, utcnow
from authsvc.extensions import db
from authsvc.tenancy import platform_scope
from authsvc.users.models import User
from tests.conftest import make_app, unique

BEFORE = "b3e1f0c2d9a7"  # the revision before caad60bce0a7


def test_are_keys_stored_by_lower_casing_recomputed_unless_another_account_has_them(
    fresh_database_url, tmp_path
):
    from authsvc.tenants.service import create_tenant

    app = make_app(fresh_database_url, tmp_path)
    with app.app_context():
        upgrade(revision=BEFORE)
        tenant = create_tenant(unique("t"), "T")
        rows = [  # (stored address, its key as lower-casing made it)
            ("ｆｕｌｌ@x.test", "ｆｕｌｌ@x.test"),
            ("Straße@Bücher.example", "straße@bücher.example"),
            ("plain@x.test", "plain@x.test"),
            ("ｐlain@x.test", "ｐlain@x.test"),  # its new key is plain@x.test's: left alone
        ]
        table = User.__table__
        for email, key in rows:
            db.session.execute(
                sa.insert(table).values(tenant_id=tenant.id, email=email, email_normalized=key)
            )
        # The admins table as that revision had it: the model has gained columns since.
        columns = [sa.column(c.name, c.type) for c in Admin.__table__.c if c.name != "read_only"]
        now = utcnow()
        db.session.execute(
            sa.insert(sa.table("admins", *columns)).values(
                id=new_id(),
                email="ｂoss@x.test",
                password_hash="x",
                is_platform_admin=False,
                is_active=True,
                created_at=now,
                updated_at=now,
            )
        )
        db.session.commit()

        upgrade()

        with platform_scope():  # PostgreSQL's row-level security walls every tenant's rows
            keys = dict(
                db.session.execute(sa.select(table.c.email, table.c.email_normalized)).all()
            )
        assert keys == {
            "ｆｕｌｌ@x.test": "full@x.test",
            "Straße@Bücher.example": "strasse@xn--bcher-kva.example",
            "plain@x.test": "plain@x.test",
            "ｐlain@x.test": "ｐlain@x.test",
        }
        admins = db.session.execute(sa.select(Admin.__table__.c.email)).scalars().all()
        assert admins == ["boss@x.test"]
        db.session.remove()
        db.engine.dispose()
