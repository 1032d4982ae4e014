"""Unbound extension instances; ``create_app`` binds them to an application."""

from __future__ import annotations

from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from authsvc import ratelimit_storage  # noqa: F401 - registers the authsvc-memory:// scheme
from authsvc.db import Base

# Objects stay loaded after a commit: services commit and then the view shapes
# the response (or signs a token) from the same objects; reloading every
# attribute there would cost a query per object on every write.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
# Forms of the admin panel and hosted pages; the JSON API under /api/v1 is exempted.
csrf = CSRFProtect()
login_manager = LoginManager()
bootstrap = Bootstrap5()


def _rate_limit_key() -> str:
    # Imported late: the API's credential module imports this one.
    from authsvc.apikeys.authentication import rate_limit_key

    return rate_limit_key()


limiter = Limiter(key_func=_rate_limit_key, headers_enabled=True, retry_after="delta-seconds")
