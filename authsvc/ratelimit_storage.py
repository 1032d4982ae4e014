"""In-process rate-limit storage that does not start a thread per busy request.

``limits``' MemoryStorage expires counters with a 10 ms ``threading.Timer``
re-armed on every increment, so a busy process starts a new thread roughly
every request (about 1.5 ms each, measured). Reads already drop expired
counters lazily; this subclass only sweeps memory once a second. Selected by
``RATELIMIT_STORAGE_URI=authsvc-memory://``, the default without Redis.
"""

from __future__ import annotations

import threading

from limits.storage import MemoryStorage

SWEEP_SECONDS = 1.0


class SweepingMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = ["authsvc-memory"]

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - overrides a private hook
        if not self.timer.is_alive():
            self.timer = threading.Timer(SWEEP_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()
