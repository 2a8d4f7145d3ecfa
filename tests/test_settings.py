from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings(_env_file=None)
    assert settings.database_url == "sqlite+aiosqlite:///./vmeste.db"
    assert settings.telegram_api_url == "https://api.telegram.org"
    assert settings.vk_api_url == "https://api.vk.com/method/"
    assert settings.timezone == "Europe/Moscow"
    assert settings.faq_path.name == "sample"
    assert settings.appeals_per_resident_per_day == 10
    assert not settings.telegram_enabled and not settings.vk_enabled


def test_flat_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("TELEGRAM_STAFF_CHAT_ID", "-100500")
    monkeypatch.setenv("STAFF_IDS", "1, 2,3")
    monkeypatch.setenv("TIMEZONE", "Asia/Yekaterinburg")
    settings = load_settings(_env_file=None)
    assert settings.telegram_enabled
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123:abc"
    assert "123:abc" not in repr(settings)
    assert settings.telegram_staff_chat_id == -100500
    assert settings.staff_ids == [1, 2, 3]
    assert settings.tz.key == "Asia/Yekaterinburg"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("LOG_LEVEL=debug\nFAQ_PATH=\n", encoding="utf-8")
    settings = load_settings(_env_file=env)
    assert settings.log_level == "DEBUG"
    assert settings.faq_path.name == "sample"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_STAFF_CHAT_ID", "staff"),
        ("TIMEZONE", "Mars/Olympus"),
        ("LOG_LEVEL", "LOUD"),
        ("STAFF_IDS", "1,two"),
        ("TELEGRAM_API_URL", "api.telegram.org"),
        ("HANDLER_CONCURRENCY", "0"),
        ("APPEALS_PER_RESIDENT_PER_DAY", "0"),
        ("TELEGRAM_BOT_TOKEN", "123456"),
        ("DATABASE_URL", "sqlite:///./vmeste.db"),
        ("DATABASE_URL", "not a url"),
    ],
)
def test_malformed_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as raised:
        load_settings(_env_file=None)
    message = str(raised.value)
    assert name in message
    assert "\n" not in message


def test_extra_days_in_any_written_form(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRA_HOLIDAYS", "2026-12-31, 08.01.2027")
    monkeypatch.setenv("EXTRA_WORKDAYS", "27 декабря 2026")
    settings = load_settings(_env_file=None)
    assert [day.isoformat() for day in settings.extra_holidays] == ["2026-12-31", "2027-01-08"]
    assert [day.isoformat() for day in settings.extra_workdays] == ["2026-12-27"]


def test_a_bad_extra_day_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXTRA_HOLIDAYS", "2026-12-31,завтра")
    with pytest.raises(SettingsError, match="EXTRA_HOLIDAYS"):
        load_settings(_env_file=None)
