"""Alembic environment: runs inside the Flask app that Flask-Migrate set up."""

import logging

from alembic import context
from flask import current_app

from authsvc.db import UTCDateTime
from authsvc.tenancy import platform_scope

config = context.config
logger = logging.getLogger("alembic.env")
target_db = current_app.extensions["migrate"].db


def render_item(type_, obj, autogen_context):
    """Render our column types as plain SQLAlchemy ones, so migrations do not import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online():
    def skip_empty(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    engine = target_db.engine
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_db.metadata,
            **{
                **current_app.extensions["migrate"].configure_args,
                "render_as_batch": connection.dialect.name == "sqlite",
                "render_item": render_item,
                "compare_type": True,
                "process_revision_directives": skip_empty,
            },
        )
        # Migrations are platform code: on PostgreSQL the row-level security
        # policies let a data migration reach every tenant's rows.
        with context.begin_transaction(), platform_scope():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("Offline migrations are not supported; run `authsvc init`.")
run_migrations_online()
