"""The baseline: a bare Flask app with one JSON route, served exactly like authsvc."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def index():
    """A small JSON document, the cheapest useful thing a Flask app can return."""
    return {"status": "ok", "service": "bare"}
