"""Imports every model module so metadata is complete (migrations, create_all)."""

from __future__ import annotations


def import_all() -> None:
    from authsvc.admins import models as _admins  # noqa: F401
    from authsvc.apikeys import models as _apikeys  # noqa: F401
    from authsvc.applications import models as _applications  # noqa: F401
    from authsvc.audit import models as _audit  # noqa: F401
    from authsvc.auth import models as _auth  # noqa: F401
    from authsvc.events import models as _events  # noqa: F401
    from authsvc.federation import models as _federation  # noqa: F401
    from authsvc.mail import models as _mail  # noqa: F401
    from authsvc.organizations import models as _organizations  # noqa: F401
    from authsvc.plugins import models as _plugins  # noqa: F401
    from authsvc.sessions import models as _sessions  # noqa: F401
    from authsvc.tenants import models as _tenants  # noqa: F401
    from authsvc.themes import models as _themes  # noqa: F401
    from authsvc.tokens import models as _tokens  # noqa: F401
    from authsvc.users import models as _users  # noqa: F401
    from authsvc.webhooks import models as _webhooks  # noqa: F401
