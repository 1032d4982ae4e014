"""WSGI entry point for gunicorn: ``gunicorn authsvc.wsgi:app``."""

from authsvc import create_app

app = create_app()
