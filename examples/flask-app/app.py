"""A Flask app protected by authsvc: access tokens checked locally, webhooks verified.

Run: AUTHSVC_URL=https://id.example.com AUTHSVC_TENANT=acme \
     AUTHSVC_WEBHOOK_SECRET=whsec_... flask --app app run
"""

from __future__ import annotations

import os

from authsvc_client import InvalidWebhook, verify_webhook
from authsvc_client.flask_auth import AuthsvcAuth, current_claims
from flask import Flask, request

auth = AuthsvcAuth()


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        AUTHSVC_URL=os.environ.get("AUTHSVC_URL"),
        AUTHSVC_TENANT=os.environ.get("AUTHSVC_TENANT"),
        AUTHSVC_WEBHOOK_SECRET=os.environ.get("AUTHSVC_WEBHOOK_SECRET"),
        # Ask authsvc about each request too: a logout counts at once, not at token expiry.
        AUTHSVC_CHECK_REVOCATION=os.environ.get("AUTHSVC_CHECK_REVOCATION") == "1",
    )
    app.config.update(config or {})
    auth.init_app(app)
    app.add_url_rule("/", view_func=index)
    app.add_url_rule("/profile", view_func=profile)
    app.add_url_rule("/reports", view_func=reports)
    app.add_url_rule("/webhooks/authsvc", view_func=webhook, methods=["POST"])
    app.config["RECEIVED_EVENTS"] = []
    return app


def index():
    return {"hello": "anyone"}


@auth.required()
def profile():
    claims = current_claims()
    return {"user": claims["sub"], "email": claims["email"], "roles": claims["roles"]}


@auth.required("admin")
def reports():
    return {"reports": []}


def webhook():
    from flask import current_app

    try:
        # The raw body: re-serialised JSON would not match the signature.
        event = verify_webhook(
            current_app.config["AUTHSVC_WEBHOOK_SECRET"], request.get_data(), request.headers
        )
    except InvalidWebhook:
        return {"error": "bad signature"}, 400
    # Delivery is at least once: de-duplicate on the webhook-id header.
    seen = current_app.config["RECEIVED_EVENTS"]
    if request.headers["webhook-id"] not in {entry[0] for entry in seen}:
        seen.append((request.headers["webhook-id"], event["type"]))
    return "", 204
