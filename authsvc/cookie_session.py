"""Flask's signed-cookie session, without its per-request cost when no session is in play.

Rationale: Flask opens and saves the session on every request. Its default
interface builds a signing serializer before it even looks for the cookie, and
reads half a dozen cookie settings before it notices there is nothing to save.
API calls (and health probes, token validation...) never carry a session
cookie, so both steps here return early in exactly the cases where Flask's own
code would end up doing nothing.
"""

from __future__ import annotations

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin


class LazyCookieSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # No Cookie header at all (API calls): nothing to parse.
        if app.secret_key and (
            "HTTP_COOKIE" not in request.environ
            or not request.cookies.get(self.get_cookie_name(app))
        ):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # Flask sets no cookie and no Vary header for an empty session that was
        # neither read nor changed (Flask-Login's after_request hook reads it on
        # most requests, so this mostly spares probes and token validation).
        if not session and not session.modified and not session.accessed:
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    app.session_interface = LazyCookieSessionInterface()
