"""authsvc-client: call the authsvc API, run end-user flows, verify tokens and webhooks."""

from authsvc_client.client import AsyncAuthsvcClient, AuthsvcClient
from authsvc_client.errors import (
    AuthsvcError,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    MfaRequired,
    NotFound,
    NotSignedIn,
    ProblemError,
    RateLimited,
    Unauthorized,
    ValidationError,
)
from authsvc_client.session import AsyncUserSession, UserSession
from authsvc_client.tokens import TokenPair
from authsvc_client.verify import TokenVerifier
from authsvc_client.webhooks import InvalidWebhook, verify_webhook

__all__ = [
    "AsyncAuthsvcClient",
    "AsyncUserSession",
    "AuthsvcClient",
    "AuthsvcError",
    "BadRequest",
    "Conflict",
    "Forbidden",
    "InvalidToken",
    "InvalidWebhook",
    "MfaRequired",
    "NotFound",
    "NotSignedIn",
    "ProblemError",
    "RateLimited",
    "TokenPair",
    "TokenVerifier",
    "Unauthorized",
    "UserSession",
    "ValidationError",
    "verify_webhook",
]
