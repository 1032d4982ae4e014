"""Moving a tenant between instances: ``authsvc tenants export`` and ``import``.

The document holds the tenant's configuration and its users (settings, theme,
roles, users with their password hashes and TOTP factors, identity providers
and links, webhooks, the permission catalogue, organizations with their members,
applications with their users' grants). Secrets are never written in the clear: with a transfer
key they are sealed under it (:mod:`.sealing`), without one they are left out.
Operational records (sessions, audit, events, deliveries, mail) stay behind:
they belong to the instance's backups, not to a move.
"""

from __future__ import annotations

FORMAT = "authsvc.tenant-export.v1"
