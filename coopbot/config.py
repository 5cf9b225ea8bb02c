"""Typed settings, read once from the environment at the composition root and injected."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from platformdirs import user_data_path
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from coopbot.errors import StorageError

SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
REPO_KNOWLEDGE = Path(__file__).resolve().parent.parent / "knowledge"
ASYNC_DRIVERS = ("sqlite+aiosqlite:", "postgresql+asyncpg:")
APP_NAME = "coopbot"
DATABASE_FILE = "coopbot.db"  # the SQLite file name, in the data folder (or ./ in earlier releases)
URL_FIELDS = (
    "telegram_api_base_url",
    "telegram_webhook_url",
    "zalo_api_base_url",
    "zalo_oauth_base_url",
)


def data_folder() -> Path:
    """The per-user data folder (platformdirs: ~/.local/share/coopbot on Linux, or
    $XDG_DATA_HOME/coopbot; %LOCALAPPDATA%\\coopbot on Windows)."""
    return user_data_path(APP_NAME, appauthor=False)


def legacy_database() -> Path:
    """``./coopbot.db``, where earlier releases put the default database."""
    return Path.cwd() / DATABASE_FILE


def sqlite_url(path: Path) -> str:
    """The async SQLAlchemy URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path.as_posix()}"


def default_database_url() -> str:
    """The SQLite file in the per-user data folder, or ``./coopbot.db`` when one exists here
    (so that nobody who started with an earlier release loses their data)."""
    legacy = legacy_database()
    path = legacy.resolve() if legacy.is_file() else data_folder() / DATABASE_FILE
    return sqlite_url(path)


def database_location(url: str) -> str:
    """Where a database URL points, for people: a SQLite file's absolute path, or the URL
    without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return parsed.render_as_string(hide_password=True)
    if not parsed.database or parsed.database == ":memory:":
        return "SQLite in memory"
    return str(Path(parsed.database).resolve())


def ensure_data_folder(url: str) -> None:
    """Create the per-user data folder when ``url`` is the default database in it."""
    folder = data_folder()
    if url == sqlite_url(folder / DATABASE_FILE):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the data folder {folder} ({exc.strerror}); "
                "set COOPBOT_DATABASE_URL to a database you can write"
            ) from exc


def uses_legacy_database(url: str) -> bool:
    """True when ``url`` is the ``./coopbot.db`` of the current folder."""
    legacy = legacy_database()
    return legacy.is_file() and url == sqlite_url(legacy.resolve())


class Settings(BaseSettings):
    """Every knob coopbot reads; all optional for the embedded default."""

    model_config = SettingsConfigDict(
        env_prefix="",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
        env_ignore_empty=True,  # VAR= (as compose files write unset values) means unset
    )

    database_url: str = Field(default_factory=default_database_url, alias="COOPBOT_DATABASE_URL")
    host: str = Field("127.0.0.1", alias="COOPBOT_HOST")
    port: int = Field(8080, alias="COOPBOT_PORT", ge=0, le=65535)
    knowledge_dir: Path = Field(REPO_KNOWLEDGE, alias="COOPBOT_KNOWLEDGE_DIR")
    log_level: str = Field("INFO", alias="COOPBOT_LOG_LEVEL")
    log_format: Literal["text", "json"] = Field("text", alias="COOPBOT_LOG_FORMAT")
    retention_days: int = Field(365, alias="COOPBOT_RETENTION_DAYS", ge=1, le=36500)
    reuse_port: bool = Field(False, alias="COOPBOT_REUSE_PORT")
    pseudonym_key: SecretStr | None = Field(None, alias="COOPBOT_PSEUDONYM_KEY")
    auto_migrate: bool = Field(True, alias="COOPBOT_AUTO_MIGRATE")
    flow_ttl_hours: float = Field(24.0, alias="COOPBOT_FLOW_TTL_HOURS", gt=0)
    max_message_chars: int = Field(2000, alias="COOPBOT_MAX_MESSAGE_CHARS", ge=50)

    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(None, alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_url: str | None = Field(None, alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: SecretStr | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")

    telegram_officers: str = Field("", alias="COOPBOT_TELEGRAM_OFFICERS")
    broadcast_worker: bool = Field(True, alias="COOPBOT_BROADCAST_WORKER")
    broadcast_lease: float = Field(60.0, alias="COOPBOT_BROADCAST_LEASE", gt=0)
    inbox_lease: float = Field(30.0, alias="COOPBOT_INBOX_LEASE", gt=0)

    telegram_send_rate: float = Field(30.0, alias="COOPBOT_TELEGRAM_RATE", gt=0)
    zalo_app_id: str | None = Field(None, alias="ZALO_APP_ID")
    zalo_oa_secret_key: SecretStr | None = Field(None, alias="ZALO_OA_SECRET_KEY")
    zalo_app_secret: SecretStr | None = Field(None, alias="ZALO_APP_SECRET")
    zalo_access_token: SecretStr | None = Field(None, alias="ZALO_ACCESS_TOKEN")
    zalo_refresh_token: SecretStr | None = Field(None, alias="ZALO_REFRESH_TOKEN")
    zalo_api_base_url: str = Field("https://openapi.zalo.me", alias="ZALO_API_BASE_URL")
    zalo_oauth_base_url: str = Field("https://oauth.zaloapp.com", alias="ZALO_OAUTH_BASE_URL")

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept plain ``sqlite://`` / ``postgresql://`` URLs and pick the async driver."""
        if value.startswith("sqlite:"):
            return "sqlite+aiosqlite:" + value[len("sqlite:") :]
        for plain in ("postgresql:", "postgres:"):
            if value.startswith(plain):
                return "postgresql+asyncpg:" + value[len(plain) :]
        if value.startswith("postgresql+psycopg"):
            raise ValueError("use postgresql+asyncpg:// (the async driver coopbot ships)")
        if not value.startswith(ASYNC_DRIVERS):
            raise ValueError("must be a sqlite:/// or postgresql+asyncpg:// URL")
        return value

    @field_validator("telegram_officers")
    @classmethod
    def _officers(cls, value: str) -> str:
        """A comma list of numeric Telegram user ids."""
        for part in value.split(","):
            if part.strip() and not part.strip().lstrip("-").isdigit():
                raise ValueError("must be a comma list of numeric Telegram user ids")
        return value

    @property
    def officer_ids(self) -> frozenset[int]:
        """Telegram user ids allowed to use /thongbao."""
        return frozenset(int(p) for p in self.telegram_officers.split(",") if p.strip())

    @field_validator(*URL_FIELDS)
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        """API and webhook addresses must be absolute http(s) URLs."""
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("knowledge_dir")
    @classmethod
    def _knowledge_folder(cls, value: Path) -> Path:
        """The knowledge folder must exist."""
        if not value.is_dir():
            raise ValueError("not a folder (point it at a copy of knowledge/)")
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        """A host name or address to listen on."""
        if not value.strip() or " " in value.strip():
            raise ValueError("must be a host name or IP address")
        return value.strip()

    @model_validator(mode="after")
    def _zalo_complete(self) -> Settings:
        """The Zalo channel needs all three of its identifiers, or none."""
        if self.zalo_app_id is not None:
            for name in ("zalo_oa_secret_key", "zalo_app_secret"):
                if getattr(self, name) is None:
                    raise ValueError(f"{name.upper()}: required when ZALO_APP_ID is set")
        return self

    @model_validator(mode="after")
    def _webhook_secret(self) -> Settings:
        """A public webhook without a secret would answer forged updates: refuse to start."""
        if self.telegram_webhook_url and self.telegram_webhook_secret is None:
            raise ValueError(
                "TELEGRAM_WEBHOOK_SECRET: required when TELEGRAM_WEBHOOK_URL is set "
                "(1-256 characters A-Z, a-z, 0-9, _ or -)"
            )
        return self

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _secret_chars(cls, value: SecretStr | None) -> SecretStr | None:
        """Telegram accepts 1-256 characters A-Z, a-z, 0-9, _ and - as a secret token."""
        if value is not None and not SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("must be 1-256 characters A-Z, a-z, 0-9, _ or -")
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        """Log level must be one logging knows."""
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return upper


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (tests, CLI flags)."""
    return Settings(**overrides)  # type: ignore[arg-type]
