"""Unbound extension instances; ``create_app`` binds them to an application."""

from __future__ import annotations

from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from authsvc.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def _rate_limit_key() -> str:
    # Imported late: the API's credential module imports this one.
    from authsvc.api.credentials import rate_limit_key

    return rate_limit_key()


limiter = Limiter(key_func=_rate_limit_key, headers_enabled=True, retry_after="delta-seconds")
