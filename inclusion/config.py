"""Configuration: one class per environment; secrets come only from the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask


class ConfigurationError(RuntimeError):
    """The app cannot start with the configuration it was given."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def _database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the psycopg 3 driver named.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class BaseConfig:
    ENV_NAME = "base"
    # pool_pre_ping: one round trip to the database as each request takes its connection,
    # so a connection the database (or a firewall) dropped is replaced, not a 500. The pool
    # is per process; see "Running in production" in the README for sizes.
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    # Form fields that are not files are held in memory: keep each small (Flask's defaults,
    # written out). Over any of these limits the user gets the 413 page.
    MAX_FORM_MEMORY_SIZE = 500_000
    MAX_FORM_PARTS = 1_000
    BABEL_DEFAULT_LOCALE = "en"
    SERVICE_NAME = "Get Online West Midlands"
    # Disclosure control for published counts (see inclusion.outcomes).
    SUPPRESSION_THRESHOLD = 7
    ROUNDING_BASE = 5
    # When more outcome facts than this wait to be rolled up (see inclusion.outcomes.rollup,
    # normally done by `flask outcomes rollup` from cron), the dashboard rolls up this many
    # before counting.
    OUTCOMES_ROLLUP_CATCH_UP = 20_000
    # Sign-in throttling.
    LOGIN_ACCOUNT_FAILURES = 5
    LOGIN_ADDRESS_FAILURES = 30
    LOGIN_THROTTLE_WINDOW_SECONDS = 15 * 60
    LOGIN_MAX_LOCK_SECONDS = 15 * 60
    INVITATION_DAYS = 7
    # Phone numbers in Ofcom's drama range are only accepted where this says so.
    ACCEPT_DRAMA_NUMBERS = False
    SMTP_HOST: str | None = None
    SMTP_PORT = 25
    SMTP_STARTTLS = False
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    MAIL_FROM = "no-reply@inclusion.invalid"
    PUBLIC_BASE_URL: str | None = None
    HSTS = False
    DEMO_ALLOWED = True
    PAGE_SIZE = 25
    # Device CSV import limits: a file bigger or longer than this is refused before it is read.
    DEVICE_IMPORT_MAX_BYTES = 8 * 1024 * 1024
    DEVICE_IMPORT_MAX_ROWS = 100_000
    # In-memory rate limits by default; Redis (or another store) when RATELIMIT_STORAGE_URI is set.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # SMS: "log" keeps messages on the admin message log; "twilio" sends them.
    SMS_PROVIDER = "log"
    TWILIO_ACCOUNT_SID: str | None = None
    TWILIO_AUTH_TOKEN: str | None = None
    TWILIO_MESSAGING_SERVICE_SID: str | None = None
    TWILIO_FROM_NUMBER: str | None = None
    # Send Twilio API calls to another base URL (a local Twilio-compatible server).
    TWILIO_API_BASE_URL: str | None = None
    SMS_PROVIDER_TIMEOUT = 10.0
    SMS_MAX_ATTEMPTS = 6
    SMS_BACKOFF_SECONDS = 30
    SMS_BACKOFF_MAX_SECONDS = 3600
    # A claim older than this means the worker died; the message goes back to pending.
    SMS_LEASE_SECONDS = 300
    # Messages with no final receipt after this long become "unknown".
    SMS_UNKNOWN_AFTER_HOURS = 72
    SMS_BATCH_SIZE = 50
    # Messages a worker process sends at once (each on its own thread, waiting on the network).
    SMS_WORKER_THREADS = 4
    SMS_WORKER_IDLE_SECONDS = 2.0
    SMS_WEBHOOK_RATE_LIMIT = "600/minute"
    # Limits per client address (Flask-Limiter syntax); see inclusion.security.rate_limited.
    RATE_LIMIT_SIGN_IN = "30 per minute"
    RATE_LIMIT_TWO_FACTOR = "10 per minute"
    RATE_LIMIT_PASSWORD_RESET = "5 per minute;30 per hour"  # noqa: S105 - a limit, not a secret
    RATE_LIMIT_SMS_RESEND = "5 per minute"
    RATE_LIMIT_WEBHOOK = "600 per minute"
    # Server-side sessions end after this long idle, and this long after signing in at most.
    SESSION_IDLE_MINUTES = 30
    SESSION_MAX_HOURS = 12
    # Two-factor sign-in: these roles must enrol before reaching any page.
    MFA_ENFORCED = True
    MFA_REQUIRED_ROLES = ("partner_admin", "lead", "admin")
    PASSWORD_RESET_HOURS = 24


class DevelopmentConfig(BaseConfig):
    ENV_NAME = "development"
    ACCEPT_DRAMA_NUMBERS = True


class TestConfig(BaseConfig):
    ENV_NAME = "test"
    TESTING = True
    ACCEPT_DRAMA_NUMBERS = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    # External services point at addresses that fail loudly if anything reaches them.
    SMTP_HOST = None
    PUBLIC_BASE_URL = "http://localhost"
    RATELIMIT_ENABLED = False
    # A cheap argon2 cost keeps hundreds of sign-ins quick; real configs use the library default.
    ARGON2_PARAMS = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    # Most tests sign in partner admins, leads and admins with a password alone; the two-factor
    # tests (tests/test_auth_two_factor.py) build an app with MFA_ENFORCED=True to prove it.
    # A user who HAS enrolled is always asked for the second step, whatever this says.
    MFA_ENFORCED = False
    # Forms in tests post without tokens; tests/test_security.py turns CSRF back on to prove it.
    WTF_CSRF_ENABLED = False


class ProductionConfig(BaseConfig):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    # __Host- cookies must be Secure, path /, and have no Domain: the browser refuses them
    # otherwise, so a sibling subdomain cannot plant or overwrite the session cookie.
    SESSION_COOKIE_NAME = "__Host-session"
    SESSION_COOKIE_PATH = "/"
    SESSION_COOKIE_DOMAIN = None
    REMEMBER_COOKIE_SECURE = True
    HSTS = True
    DEMO_ALLOWED = False


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def load_config(app: Flask, config: dict[str, Any] | str | None) -> None:
    """Apply the environment's config class, then environment variables, then overrides."""
    overrides: dict[str, Any] = {}
    if isinstance(config, dict):
        overrides = dict(config)
        name = overrides.pop("ENV_NAME", None) or os.environ.get("INCLUSION_ENV", "development")
    else:
        name = config or os.environ.get("INCLUSION_ENV", "development")
    if name not in CONFIGS:
        raise ConfigurationError(f"INCLUSION_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")
    app.config.from_object(CONFIGS[name])

    env = os.environ
    if env.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = env["SECRET_KEY"]
    if env.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(env["DATABASE_URL"])
    for key in (
        "SMTP_HOST",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "MAIL_FROM",
        "PUBLIC_BASE_URL",
        "SERVICE_NAME",
    ):
        if env.get(key):
            app.config[key] = env[key]
    app.config["SMTP_PORT"] = _env_int("SMTP_PORT", app.config["SMTP_PORT"])
    app.config["SMTP_STARTTLS"] = _env_bool("SMTP_STARTTLS", app.config["SMTP_STARTTLS"])
    app.config["INVITATION_DAYS"] = _env_int("INVITATION_DAYS", app.config["INVITATION_DAYS"])
    app.config["SUPPRESSION_THRESHOLD"] = _env_int(
        "SUPPRESSION_THRESHOLD", app.config["SUPPRESSION_THRESHOLD"]
    )
    app.config["ROUNDING_BASE"] = _env_int("ROUNDING_BASE", app.config["ROUNDING_BASE"])
    for key in ("DEVICE_IMPORT_MAX_BYTES", "DEVICE_IMPORT_MAX_ROWS"):
        app.config[key] = _env_int(key, app.config[key])
    app.config["ACCEPT_DRAMA_NUMBERS"] = _env_bool(
        "ACCEPT_DRAMA_NUMBERS", app.config["ACCEPT_DRAMA_NUMBERS"]
    )
    for key in (
        "SMS_PROVIDER",
        "TWILIO_ACCOUNT_SID",
        "TWILIO_AUTH_TOKEN",
        "TWILIO_MESSAGING_SERVICE_SID",
        "TWILIO_FROM_NUMBER",
        "TWILIO_API_BASE_URL",
    ):
        if env.get(key):
            app.config[key] = env[key]
    for key in ("SMS_MAX_ATTEMPTS", "SMS_BACKOFF_SECONDS", "SMS_LEASE_SECONDS",
                "SMS_UNKNOWN_AFTER_HOURS", "SMS_BATCH_SIZE", "SMS_WORKER_THREADS"):
        app.config[key] = _env_int(key, app.config[key])
    app.config["SESSION_IDLE_MINUTES"] = _env_int(
        "SESSION_IDLE_MINUTES", app.config["SESSION_IDLE_MINUTES"]
    )
    app.config["SESSION_MAX_HOURS"] = _env_int("SESSION_MAX_HOURS", app.config["SESSION_MAX_HOURS"])
    if env.get("RATELIMIT_STORAGE_URI"):
        app.config["RATELIMIT_STORAGE_URI"] = env["RATELIMIT_STORAGE_URI"]
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _pool_options(
        dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
    )

    app.config.update(overrides)
    _check_sms(app)
    if "SQLALCHEMY_DATABASE_URI" in app.config:
        app.config["SQLALCHEMY_DATABASE_URI"] = _database_url(app.config["SQLALCHEMY_DATABASE_URI"])

    if name == "production":
        missing = [k for k in ("SECRET_KEY", "SQLALCHEMY_DATABASE_URI") if not app.config.get(k)]
        if missing:
            names = {"SQLALCHEMY_DATABASE_URI": "DATABASE_URL"}
            raise ConfigurationError(
                "Production needs "
                + " and ".join(names.get(k, k) for k in missing)
                + " set in the environment."
            )
        return

    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance / "secret_key")
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'inclusion.sqlite'}"


def _pool_options(options: dict[str, Any]) -> dict[str, Any]:
    """The database connection pool settings the environment gives (see the README)."""
    env = os.environ
    for variable, option in (("DATABASE_POOL_SIZE", "pool_size"),
                             ("DATABASE_MAX_OVERFLOW", "max_overflow"),
                             ("DATABASE_POOL_RECYCLE_SECONDS", "pool_recycle")):
        value = env.get(variable, "").strip()
        if not value:
            continue
        if not value.isdigit():
            raise ConfigurationError(f"{variable} must be a whole number, not {value!r}")
        options[option] = int(value)
    if env.get("DATABASE_POOL_PRE_PING"):
        options["pool_pre_ping"] = _env_bool("DATABASE_POOL_PRE_PING", True)
    return options


def _check_sms(app: Flask) -> None:
    provider = app.config.get("SMS_PROVIDER")
    if provider not in ("log", "twilio"):
        raise ConfigurationError(f"SMS_PROVIDER must be log or twilio, not {provider!r}")
    if provider != "twilio":
        return
    missing = [k for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not app.config.get(k)]
    if not (app.config.get("TWILIO_MESSAGING_SERVICE_SID") or app.config.get("TWILIO_FROM_NUMBER")):
        missing.append("TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER")
    if missing:
        raise ConfigurationError("SMS_PROVIDER=twilio needs " + ", ".join(missing) + " set.")


def _instance_secret(path: Path) -> str:
    """Generate a development secret once and keep it, so sessions survive a restart."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value
