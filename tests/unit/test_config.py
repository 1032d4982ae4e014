"""Configuration: environment variables, defaults and fail-fast validation."""

from __future__ import annotations

import pytest

from authsvc.config import DEV_SECRET_KEY, ConfigError, load


def test_embedded_defaults_need_no_environment(tmp_path):
    config = load(environ={"AUTHSVC_INSTANCE_PATH": str(tmp_path)})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'authsvc.db'}"
    assert config["RATELIMIT_STORAGE_URI"] == "memory://"
    assert config["EMBEDDED_WORKER"] is True


def test_environment_variables_override_defaults():
    config = load(
        environ={
            "AUTHSVC_DATABASE_URL": "postgresql://db/authsvc",
            "AUTHSVC_REDIS_URL": "redis://cache:6379/0",
            "AUTHSVC_BASE_URL": "https://id.example.com",
        }
    )
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"
    assert config["EMBEDDED_WORKER"] is False
    assert config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("secret", [None, DEV_SECRET_KEY, "too-short"])
def test_production_refuses_a_missing_or_default_secret(secret):
    environ = {"AUTHSVC_ENV": "production"}
    if secret:
        environ["AUTHSVC_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="AUTHSVC_SECRET_KEY must be set"):
        load(environ=environ)


def test_bad_values_name_the_variable():
    with pytest.raises(ConfigError, match="AUTHSVC_WEBHOOK_ALLOW_PRIVATE_TARGETS"):
        load(environ={"AUTHSVC_WEBHOOK_ALLOW_PRIVATE_TARGETS": "maybe"})
    with pytest.raises(ConfigError, match="AUTHSVC_SMTP_TLS"):
        load(environ={"AUTHSVC_SMTP_TLS": "tls1.0"})


def test_mail_retry_schedule_is_seconds_from_default_or_environment():
    from authsvc.config import ConfigError, load

    assert load(environ={})["MAIL_RETRY_SCHEDULE"] == [60, 300, 1800, 7200, 21600]
    assert load(environ={"AUTHSVC_MAIL_RETRY_SCHEDULE": "1, 2"})["MAIL_RETRY_SCHEDULE"] == [1, 2]
    with pytest.raises(ConfigError):
        load(environ={"AUTHSVC_MAIL_RETRY_SCHEDULE": "5,-1"})


def test_proxy_hops_make_forwarded_client_address_and_scheme_trusted(tmp_path):
    from flask import request

    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path, PROXY_FIX_HOPS=1)

    @app.get("/whoami")
    def whoami():
        return {"ip": request.remote_addr, "secure": request.is_secure}

    headers = {"X-Forwarded-For": "203.0.113.5", "X-Forwarded-Proto": "https"}
    assert app.test_client().get("/whoami", headers=headers).json == {
        "ip": "203.0.113.5",
        "secure": True,
    }


def test_a_rate_limit_setting_that_is_not_a_limit_stops_the_start():
    with pytest.raises(ConfigError, match="AUTHSVC_RATELIMIT_LOGIN_PER_ACCOUNT"):
        load(environ={"AUTHSVC_RATELIMIT_LOGIN_PER_ACCOUNT": "lots"})
    assert load(environ={"AUTHSVC_RATELIMIT_MFA": "5/minute"})["RATELIMIT_MFA"] == "5/minute"


def test_a_sentinel_url_gives_the_limiter_the_service_and_the_database_apart():
    config = load(environ={"AUTHSVC_REDIS_URL": "redis+sentinel://:s3cret@a:26379,b:26380/main/2"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis+sentinel://a:26379,b:26380/main"
    options = config["RATELIMIT_STORAGE_OPTIONS"]
    assert (options["db"], options["password"], options["use_replicas"]) == (2, "s3cret", False)


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://a:26379",  # no service name
        "redis+sentinel://a:26379//1",  # an empty one
        "redis+sentinel://a:port/main",  # a port that is not a number
        "redis+sentinel://a:26379/main/zero",  # nor a database
        "redis+sentinel://:26379/main",  # no host
    ],
)
def test_a_malformed_sentinel_url_stops_the_start(url):
    with pytest.raises(ConfigError, match="AUTHSVC_REDIS_URL"):
        load(environ={"AUTHSVC_REDIS_URL": url})
