"""In-process signals: the public contract for reacting to changes in this process.

Durable, cross-process reactions (webhooks, audit) consume the event outbox
instead; these signals are for process-local state such as caches.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent with ``tenant_id`` after a tenant's settings or state changed.
tenant_changed = _signals.signal("tenant-changed")
#: Sent with ``prefix`` after an API key was revoked.
api_key_revoked = _signals.signal("api-key-revoked")
