"""Domain events, the public contract: event types, the outbox row, emitting, subscribing.

See :mod:`authsvc.events.bus` for how an event is written with its change,
and ``docs/events.md`` for the types and their payloads.
"""

from __future__ import annotations

from authsvc.events.bus import (
    CHANNEL,
    EMITTED,
    EVENT_TYPES,
    Subscriber,
    emit,
    emit_many,
    init_app,
    subscribe,
)
from authsvc.events.models import Event

__all__ = [
    "CHANNEL",
    "EMITTED",
    "EVENT_TYPES",
    "Event",
    "Subscriber",
    "emit",
    "emit_many",
    "init_app",
    "subscribe",
]
