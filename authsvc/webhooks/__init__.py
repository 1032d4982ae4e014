"""Webhooks: tenant endpoints receive signed Standard Webhooks messages for events.

``init_app`` registers the worker jobs (fan-out, delivery, pruning) and the
session hooks that wake workers when a transaction that emitted events
commits: PostgreSQL ``NOTIFY`` (delivered only on commit, never for a
rollback) for workers in other processes, and an in-process wake-up for the
embedded worker thread.
"""

from __future__ import annotations

import logging
import threading

import sqlalchemy as sa
from flask import Flask, current_app
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event

from authsvc import worker
from authsvc.events import CHANNEL, EMITTED
from authsvc.jobs import register_job

PRUNE_INTERVAL_SECONDS = 3600


def _before_commit(session) -> None:
    # Set by events.emit, and by other changes that need the workers (a delivery retried).
    if session.info.get(EMITTED) and session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_notify(CHANNEL, "")))


def _after_commit(session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction has not committed yet
    if session.info.pop(EMITTED, None):
        worker.wake(current_app)  # reads the app's running workers, in this thread


def _after_rollback(session, previous_transaction) -> None:
    # A savepoint's rollback leaves what the enclosing transaction emitted.
    if not previous_transaction.nested:
        session.info.pop(EMITTED, None)


def _install_hooks() -> None:
    if not event.contains(FlaskSession, "before_commit", _before_commit):
        event.listen(FlaskSession, "before_commit", _before_commit)
        event.listen(FlaskSession, "after_commit", _after_commit)
        event.listen(FlaskSession, "after_soft_rollback", _after_rollback)


def init_app(app: Flask) -> None:
    from authsvc.webhooks.delivery import fanout, pool

    app.extensions[pool.EXTENSION] = {"pool": None, "lock": threading.Lock()}
    poll = app.config["WEBHOOKS_POLL_SECONDS"]
    register_job(app, "webhooks.fanout", fanout.fan_out, poll)
    register_job(app, pool.JOB, pool.deliver, poll, in_flight=pool.in_flight, stop=pool.stop)
    register_job(app, "webhooks.prune", fanout.prune, PRUNE_INTERVAL_SECONDS)
    _install_hooks()
    # httpx logs every request URL at INFO: receivers' URLs may carry tokens, and the
    # delivery log already records each attempt.
    logging.getLogger("httpx").setLevel(logging.WARNING)
