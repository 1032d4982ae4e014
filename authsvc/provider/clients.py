"""The OAuth client as authlib sees it: an :class:`Application` behind ``ClientMixin``.

The lookup runs under the tenant bound from the URL (``/t/<slug>/oauth2/...``), so a
client id of another tenant is simply not found at this tenant's endpoints.
"""

from __future__ import annotations

from authlib.oauth2.rfc6749 import ClientMixin, scope_to_list

from authsvc.applications import service
from authsvc.applications.models import PUBLIC, Application

CONFIDENTIAL_METHODS = ("client_secret_basic", "client_secret_post")


class OAuthClient(ClientMixin):
    """One application of the bound tenant, answering authlib's questions about it."""

    def __init__(self, application: Application) -> None:
        self.application = application
        self.client_id = application.client_id

    @property
    def is_public(self) -> bool:
        return self.application.client_type == PUBLIC

    @property
    def client_metadata(self) -> dict:
        """The registration metadata authlib's endpoints read (RP-initiated logout)."""
        return {"post_logout_redirect_uris": list(self.application.post_logout_redirect_uris)}

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> str | None:
        uris = self.application.redirect_uris
        return uris[0] if len(uris) == 1 else None

    def get_allowed_scope(self, scope) -> str:
        """The requested scopes this application may have (the others are dropped)."""
        allowed = self.application.scopes
        if not scope:
            return ""
        return " ".join(name for name in dict.fromkeys(scope_to_list(scope)) if name in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        # Exact string comparison (no prefixes, no wildcards): RFC 9700, 4.1.3.
        return redirect_uri in self.application.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        return service.secret_matches(self.application, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        if self.is_public:
            return method == "none"
        return method in CONFIDENTIAL_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return response_type == "code" and "authorization_code" in self.application.grant_types

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type in self.application.grant_types


def query_client(client_id: str | None) -> OAuthClient | None:
    application = service.by_client_id(client_id)
    return OAuthClient(application) if application is not None else None
