"""Registry of background jobs that the worker runs (webhook delivery, mail, pruning).

Subsystems register a job in their ``init_app``; ``authsvc worker`` (and the
embedded worker thread in the default SQLite mode) runs every registered job.
A job is a function ``job(app) -> int`` that does one bounded batch of work
inside its own app context and returns how many items it handled, so the loop
can run it again at once while there is work and sleep when there is none.
A job that hands work to threads of its own may also give ``in_flight`` (how
many items are still running, so a drain waits for them) and ``stop`` (called
once at shutdown to finish or release them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask

EXTENSION = "authsvc.jobs"


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[Flask], int]
    #: Longest sleep between runs when idle; a wake-up (e.g. NOTIFY) may come sooner.
    interval_seconds: float
    in_flight: Callable[[Flask], int] | None = None
    stop: Callable[[Flask], None] | None = None


class JobRegistry:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self.frozen = False

    def register(self, name: str, func: Callable[[Flask], int], interval_seconds: float, **hooks):
        if self.frozen:
            raise RuntimeError(f"job {name!r} registered after the worker started")
        if name in self._jobs:
            raise ValueError(f"job {name!r} is already registered")
        self._jobs[name] = Job(name, func, interval_seconds, **hooks)

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())


def registry(app: Flask) -> JobRegistry:
    return app.extensions.setdefault(EXTENSION, JobRegistry())


def register_job(
    app: Flask, name: str, func: Callable[[Flask], int], interval: float, **hooks
) -> None:
    """Register a background job on ``app`` (call from a subsystem's ``init_app``).

    ``hooks`` are the optional ``in_flight`` and ``stop`` callables described above.
    """
    registry(app).register(name, func, interval, **hooks)
