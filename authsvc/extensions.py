"""Unbound extension instances; ``create_app`` binds them to an application."""

from __future__ import annotations

from flask import Response
from flask_bootstrap import Bootstrap5
from flask_compress import Compress
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

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
# Static assets only (see authsvc/static_assets.py): never pages or JSON with secrets.
compress = Compress()


def _rate_limit_problem(limit: RequestLimit) -> Response:
    # Imported late: the API's rate-limit module imports this one.
    from authsvc.api.ratelimit import problem

    return problem(limit)


# Settings come from RATELIMIT_* in the app config (see config.py). Pages count per
# client address; the API declares its own keys (authsvc/api/ratelimit.py).
limiter = Limiter(key_func=get_remote_address, on_breach=_rate_limit_problem)
