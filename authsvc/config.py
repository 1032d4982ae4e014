"""Configuration: defaults, ``AUTHSVC_*`` environment variables and validation.

Every setting has a default that suits the embedded mode (SQLite under
``instance/``, in-process rate limits, mail written to ``instance/mail``).
Production (``AUTHSVC_ENV=production``) refuses to start with an unsafe
secret key, so a forgotten variable fails loudly instead of signing tokens
with a well-known value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from limits import parse_many

from authsvc.kv import limiter_storage, sentinel_target

PREFIX = "AUTHSVC_"
DEV_SECRET_KEY = "dev-insecure-change-me"  # noqa: S105 - the known-bad default we refuse in production

# Where templates/, static/ and migrations/ live: beside the package in a
# checkout, or wherever AUTHSVC_ROOT points (the Docker image sets it).
PROJECT_ROOT = Path(os.environ.get("AUTHSVC_ROOT", Path(__file__).resolve().parent.parent))


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says what to set."""


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"expected a boolean (true/false), got {value!r}")


def _int_list(value: str) -> list[int]:
    try:
        return [int(part) for part in value.split(",") if part.strip()]
    except ValueError as exc:
        raise ConfigError(f"expected comma-separated integers, got {value!r}") from exc


def _str_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


# name -> (default, parser). The environment variable is AUTHSVC_<name>; the
# Flask config key is the same name without the prefix. Defaults of None are
# filled in by ``_derived_defaults`` because they depend on other settings.
SETTINGS: dict[str, tuple[Any, Any]] = {
    "ENV": ("development", str),
    "SECRET_KEY": (None, str),
    "DATABASE_URL": (None, str),
    # Pooled connections idle longer than this are pinged before use (see connections.py).
    "DATABASE_IDLE_PING_SECONDS": (30, int),
    "REDIS_URL": (None, str),
    "BASE_URL": ("http://127.0.0.1:8000", str),
    "INSTANCE_PATH": (None, str),
    "LOG_LEVEL": ("INFO", str),
    # json (one object per line; the default in production) or text.
    "LOG_FORMAT": (None, str),
    # /metrics: a bearer token scrapes must send (none: open, e.g. behind a NetworkPolicy),
    # and whether series carry a tenant label (off for very many tenants).
    "METRICS_TOKEN": (None, str),
    "METRICS_TENANT_LABELS": (True, _bool),
    # `authsvc worker` serves its own metrics on this port (0: none).
    "WORKER_METRICS_PORT": (0, int),
    "WORKER_METRICS_ADDRESS": ("0.0.0.0", str),  # noqa: S104 - scraped from other pods
    # `authsvc serve`: the web tier's /metrics on this port instead of the main one (0: main).
    "METRICS_PORT": (0, int),
    "METRICS_ADDRESS": ("0.0.0.0", str),  # noqa: S104 - scraped from other pods
    "MAX_CONTENT_LENGTH": (1024 * 1024, int),
    # Reverse proxies in front of us whose X-Forwarded-* headers are trusted
    # (client address, https, host); 0 trusts none.
    "PROXY_FIX_HOPS": (0, int),
    # API keys: how long an in-process cache may serve a key lookup (0 = no cache).
    # A revoked key is refused at once through the denylist (see docs/caching-and-revocation.md).
    "APIKEYS_CACHE_TTL_SECONDS": (10, int),
    "APIKEYS_LAST_USED_INTERVAL_SECONDS": (60, int),
    # Without Redis, how long a process reuses a denylist answer: the longest another
    # process accepts a revoked token, API key or tenant (0 = one query per check).
    # With Redis every check asks Redis (see docs/caching-and-revocation.md).
    "AUTH_DENYLIST_POLL_SECONDS": (1.0, float),
    "AUTH_LOCK_MEMORY_SECONDS": (2.0, float),
    # Process-local caches of tenants, signing keys and verified tokens (authsvc/cache.py):
    # without Redis, how late another process sees a change (0 = no cache).
    "CACHE_TTL_SECONDS": (10.0, float),
    # Per server-side API key (per tenant and address for auth-only keys), when the
    # tenant sets no rate_limit; also Flask-Limiter's default for every page.
    "RATELIMIT_DEFAULT": ("600/minute", str),
    # The public flows, per tenant and end-user address (on top of the caller's limit)...
    "RATELIMIT_LOGIN": ("30/minute", str),
    "RATELIMIT_MFA": ("30/minute", str),
    "RATELIMIT_REFRESH": ("120/minute", str),
    "RATELIMIT_REGISTER": ("20/hour", str),
    "RATELIMIT_FORGOT_PASSWORD": ("10/hour", str),
    "RATELIMIT_RESEND_VERIFICATION": ("10/hour", str),
    # ... and per tenant and account named in the request, whatever the address.
    "RATELIMIT_LOGIN_PER_ACCOUNT": ("30/minute", str),
    "RATELIMIT_MFA_PER_ACCOUNT": ("10/minute", str),
    "RATELIMIT_REGISTER_PER_ACCOUNT": ("5/hour", str),
    "RATELIMIT_FORGOT_PASSWORD_PER_ACCOUNT": ("10/hour", str),
    "RATELIMIT_RESEND_VERIFICATION_PER_ACCOUNT": ("10/hour", str),
    "PAGINATION_DEFAULT_LIMIT": (50, int),
    "PAGINATION_MAX_LIMIT": (200, int),
    # Password hashing (argon2id, OWASP parameters).
    "ARGON2_TIME_COST": (2, int),
    "ARGON2_MEMORY_COST": (19456, int),
    "ARGON2_PARALLELISM": (1, int),
    # Mail.
    "SMTP_HOST": (None, str),
    "SMTP_PORT": (25, int),
    "SMTP_USERNAME": (None, str),
    "SMTP_PASSWORD": (None, str),
    "SMTP_TLS": ("none", str),
    # A CA bundle for a relay with a private certificate (default: the system's CAs).
    "SMTP_CA_FILE": (None, str),
    "MAIL_SENDER": ("authsvc <no-reply@localhost>", str),
    # Seconds to wait before each retry of a failed send; after the last, the mail is failed.
    "MAIL_RETRY_SCHEDULE": ([60, 300, 1800, 7200, 21600], _int_list),
    "MAIL_SMTP_TIMEOUT_SECONDS": (10, int),
    "MAIL_JOB_INTERVAL_SECONDS": (5, float),
    # Themes: where per-tenant template overrides live (templates/tenants/<slug>/...).
    "THEMES_TEMPLATES_PATH": (None, str),
    # Strict-Transport-Security max-age on requests served over TLS (0 = no header).
    "SECURITY_HSTS_MAX_AGE": (31536000, int),
    "THEMES_ASSET_MAX_BYTES": (256 * 1024, int),
    "THEMES_CUSTOM_CSS_MAX_BYTES": (64 * 1024, int),
    # Webhooks.
    "WEBHOOK_RETRY_SCHEDULE": ([5, 300, 1800, 7200, 18000, 36000, 36000], _int_list),
    "WEBHOOK_ALLOW_PRIVATE_TARGETS": (False, _bool),
    "WEBHOOKS_CONNECT_TIMEOUT_SECONDS": (5.0, float),
    "WEBHOOKS_TIMEOUT_SECONDS": (15.0, float),
    "WEBHOOKS_CONCURRENCY": (16, int),
    "WEBHOOKS_PER_ENDPOINT_CONCURRENCY": (4, int),
    "WEBHOOKS_DISABLE_AFTER_SECONDS": (5 * 24 * 3600, int),
    "WEBHOOKS_SECRET_GRACE_SECONDS": (24 * 3600, int),
    "WEBHOOKS_RETENTION_DAYS": (30, int),
    # The delivery log keeps each attempt's signed body up to this size.
    "WEBHOOKS_LOG_BODY_BYTES": (16 * 1024, int),
    # Audit entries older than this are deleted (0: kept forever; see audit/retention.py).
    "AUDIT_RETENTION_DAYS": (0, int),
    "WEBHOOKS_POLL_SECONDS": (5.0, float),
    "WEBHOOKS_FANOUT_BATCH": (500, int),
    # Tenants' custom domains: subdomains of the platform's own host (BASE_URL) may be
    # claimed only when allowed; verification asks these nameservers ("host[:port]",
    # default the system's) and gives each DNS or HTTP check this long.
    "TENANT_SUBDOMAINS_ALLOWED": (False, _bool),
    "DOMAINS_DNS_NAMESERVERS": ((), _str_list),
    "DOMAINS_VERIFY_TIMEOUT_SECONDS": (5.0, float),
    # Tests and development only: the HTTP check may reach private addresses, on this port.
    "DOMAINS_ALLOW_PRIVATE_TARGETS": (False, _bool),
    "DOMAINS_HTTP_VERIFICATION_PORT": (80, int),
    "EMBEDDED_WORKER": (None, _bool),
    "SAFE_MODE": (False, _bool),
    # Admin panel sessions: signed out after this long without a request, and
    # after this long in total whatever the activity.
    "ADMIN_IDLE_TIMEOUT_SECONDS": (1800, int),
    "ADMIN_SESSION_MAX_SECONDS": (43200, int),
    # Password attempts per client address and email on the admin sign-in form.
    "ADMIN_LOGIN_RATE_LIMIT": ("10/minute", str),
    # Extra admin plugins registered in code: "package.module:attribute" paths
    # (or AdminPlugin objects when the factory is given a mapping).
    "ADMIN_PLUGINS": ((), _str_list),
}


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, (default, parse) in SETTINGS.items():
        raw = environ.get(PREFIX + name)
        if raw is None or raw == "":
            values[name] = default
            continue
        try:
            values[name] = parse(raw)
        except (ConfigError, ValueError) as exc:
            raise ConfigError(f"{PREFIX}{name}: {exc}") from exc
    return values


def _derived_defaults(values: dict[str, Any]) -> None:
    instance = Path(values["INSTANCE_PATH"] or PROJECT_ROOT / "instance")
    values["INSTANCE_PATH"] = str(instance)
    if not values["DATABASE_URL"]:
        values["DATABASE_URL"] = f"sqlite:///{instance / 'authsvc.db'}"
    if not values["THEMES_TEMPLATES_PATH"]:
        values["THEMES_TEMPLATES_PATH"] = str(PROJECT_ROOT / "templates" / "tenants")
    if isinstance(values["WEBHOOK_RETRY_SCHEDULE"], str):
        values["WEBHOOK_RETRY_SCHEDULE"] = _int_list(values["WEBHOOK_RETRY_SCHEDULE"])
    if isinstance(values["MAIL_RETRY_SCHEDULE"], str):
        values["MAIL_RETRY_SCHEDULE"] = _int_list(values["MAIL_RETRY_SCHEDULE"])
    if values["EMBEDDED_WORKER"] is None:
        values["EMBEDDED_WORKER"] = values["DATABASE_URL"].startswith("sqlite")
    if values["LOG_FORMAT"] is None:
        values["LOG_FORMAT"] = "json" if values["ENV"] == "production" else "text"
    if values["SECRET_KEY"] is None and values["ENV"] != "production":
        values["SECRET_KEY"] = DEV_SECRET_KEY


def validate(values: Mapping[str, Any]) -> None:
    """Fail fast on settings that cannot work; messages name the variable to set."""
    if values["ENV"] not in {"development", "production", "testing"}:
        raise ConfigError(f"{PREFIX}ENV must be development, production or testing")
    if values["ENV"] == "production":
        secret = values.get("SECRET_KEY")
        if not secret or secret == DEV_SECRET_KEY or len(secret) < 32:
            raise ConfigError(
                f"{PREFIX}SECRET_KEY must be set to a random value of at least 32 characters "
                f"in production, e.g. {PREFIX}SECRET_KEY=$(python -c "
                "'import secrets; print(secrets.token_urlsafe(48))')"
            )
    if values["REDIS_URL"]:
        try:
            sentinel_target(values["REDIS_URL"])
        except ValueError as exc:
            raise ConfigError(f"{PREFIX}REDIS_URL: {exc}") from exc
    if values["AUDIT_RETENTION_DAYS"] < 0:
        raise ConfigError(f"{PREFIX}AUDIT_RETENTION_DAYS must be 0 (keep forever) or more")
    if values["LOG_FORMAT"] not in {"json", "text"}:
        raise ConfigError(f"{PREFIX}LOG_FORMAT must be json or text")
    if values["SMTP_TLS"] not in {"none", "starttls", "ssl"}:
        raise ConfigError(f"{PREFIX}SMTP_TLS must be none, starttls or ssl")
    _validate_webhooks(values)
    for name in ("ADMIN_IDLE_TIMEOUT_SECONDS", "ADMIN_SESSION_MAX_SECONDS"):
        if values[name] < 60:
            raise ConfigError(f"{PREFIX}{name} must be at least 60 seconds")
    if not 0 <= values["AUTH_DENYLIST_POLL_SECONDS"] <= 60:
        raise ConfigError(f"{PREFIX}AUTH_DENYLIST_POLL_SECONDS must be between 0 (off) and 60")
    if not 0 <= values["AUTH_LOCK_MEMORY_SECONDS"] <= 10:
        raise ConfigError(f"{PREFIX}AUTH_LOCK_MEMORY_SECONDS must be between 0 (off) and 10")
    if not 0 <= values["APIKEYS_CACHE_TTL_SECONDS"] <= 30:
        raise ConfigError(f"{PREFIX}APIKEYS_CACHE_TTL_SECONDS must be between 0 (off) and 30")
    if not 0 <= values["CACHE_TTL_SECONDS"] <= 60:
        raise ConfigError(f"{PREFIX}CACHE_TTL_SECONDS must be between 0 (off) and 60")
    _validate_rate_limits(values)


def _validate_rate_limits(values: Mapping[str, Any]) -> None:
    for name in SETTINGS:
        if name.startswith("RATELIMIT_") or name == "ADMIN_LOGIN_RATE_LIMIT":
            try:
                parse_many(values[name])
            except ValueError as exc:
                raise ConfigError(
                    f"{PREFIX}{name} must be a limit such as 600/minute, got {values[name]!r}"
                ) from exc


def _validate_webhooks(values: Mapping[str, Any]) -> None:
    positive = ("CONNECT_TIMEOUT_SECONDS", "TIMEOUT_SECONDS", "CONCURRENCY", "POLL_SECONDS")
    for name in (*positive, "PER_ENDPOINT_CONCURRENCY", "FANOUT_BATCH", "RETENTION_DAYS"):
        if values[f"WEBHOOKS_{name}"] <= 0:
            raise ConfigError(f"{PREFIX}WEBHOOKS_{name} must be greater than 0")
    if any(delay < 0 for delay in values["WEBHOOK_RETRY_SCHEDULE"]):
        raise ConfigError(f"{PREFIX}WEBHOOK_RETRY_SCHEDULE takes non-negative seconds")
    if any(delay < 0 for delay in values["MAIL_RETRY_SCHEDULE"]):
        raise ConfigError(f"{PREFIX}MAIL_RETRY_SCHEDULE takes non-negative seconds")


def load(overrides: Mapping[str, Any] | None = None, environ=None) -> dict[str, Any]:
    """Build the Flask config mapping from the environment and ``overrides``."""
    values = _from_environment(os.environ if environ is None else environ)
    if overrides:
        values.update(overrides)
    _derived_defaults(values)
    validate(values)
    limiter_uri, limiter_options = limiter_storage(values["REDIS_URL"])
    values.update(
        SQLALCHEMY_DATABASE_URI=values["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(values["DATABASE_URL"]),
        # Flask-Limiter's settings: counters in Redis (shared by every process) or
        # in this process; X-RateLimit-* headers; Retry-After in seconds.
        RATELIMIT_STORAGE_URI=limiter_uri,
        RATELIMIT_STORAGE_OPTIONS=limiter_options,
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_HEADER_RETRY_AFTER_VALUE="delta-seconds",
        # If Redis goes away, keep limiting per process rather than failing requests.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        TESTING=values["ENV"] == "testing",
        SESSION_COOKIE_SECURE=values["BASE_URL"].startswith("https://"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        RESTX_MASK_SWAGGER=False,
        # The panel's CSS and JS come from the installed Bootstrap-Flask package, never a CDN.
        BOOTSTRAP_SERVE_LOCAL=True,
        RESTX_ERROR_404_HELP=False,
    )
    return values


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # WAL lets the embedded worker read while a request writes.
        return {"connect_args": {"timeout": 30}}
    # No pool_pre_ping: connections.py pings only connections that sat idle.
    return {"pool_size": 10, "max_overflow": 10}
