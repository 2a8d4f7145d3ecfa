"""Announcements and subscriptions end to end: residents' /subscribe, /unsubscribe and the
once-only question, the staff chat's /announce flow, and `python -m bot announce FILE`."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import broadcast_texts, staff_texts
from bot.core.actions import (
    AnnounceAction,
    AnnounceTopicAction,
    AnnounceVerb,
    NotifyAction,
    SubscribeAction,
)
from bot.core.announcements import AnnouncementFileError, load_announcement_file
from bot.core.messages import Platform, ResidentKey
from bot.settings import Settings
from bot.storage.models import BroadcastRow, NotificationSettingsRow, SubscriptionRow
from tests.conftest import PROJECT
from tests.harness import RunningBot
from tests.test_appeals_e2e import ADMIN, STAFF, STAFF_CHAT, expect, staffed_bot

RESIDENT = 6101
NEIGHBOUR = 6102
TOPICS = ["Новости", "Отключения", "Дороги", "Опросы"]


def buttons(bot: RunningBot, chat_id: int) -> list[tuple[str, str]]:
    """Labels and payloads under the last message to `chat_id`."""
    markup = bot.tg.calls("sendMessage", chat_id=chat_id)[-1].params.get("reply_markup") or {}
    return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


def last_message_id(bot: RunningBot, chat_id: int) -> int:
    return int(bot.tg.calls("sendMessage", chat_id=chat_id)[-1].result["message_id"])


async def press(bot: RunningBot, user: int, payload: str, chat_id: int | None = None) -> None:
    target = chat_id or user
    async with expect(bot, target):
        bot.tg.push_callback(user, payload, last_message_id(bot, target), chat_id=target)


async def say(bot: RunningBot, user: int, text: str) -> None:
    async with expect(bot, user):
        bot.tg.push_message(user, text)


async def resident_id(bot: RunningBot, external: int) -> int:
    async with bot.core.database.unit_of_work() as uow:
        found = await uow.residents.find(ResidentKey(Platform.TELEGRAM, str(external)))
    assert found is not None
    return found.id


async def topics_of(bot: RunningBot, external: int) -> set[str]:
    rid = await resident_id(bot, external)
    async with bot.core.database.unit_of_work() as uow:
        return set(
            await uow.session.scalars(
                select(SubscriptionRow.topic).where(SubscriptionRow.resident_id == rid)
            )
        )


async def opted_out(bot: RunningBot, external: int) -> bool:
    rid = await resident_id(bot, external)
    async with bot.core.database.unit_of_work() as uow:
        row = await uow.session.get(NotificationSettingsRow, rid)
        return row is not None and row.opted_out


async def test_subscribe_toggles_topics_and_unsubscribe_stops_everything(
    settings: Settings,
) -> None:
    async with staffed_bot(settings) as bot:
        await say(bot, RESIDENT, "/subscribe")
        assert bot.tg.sent_to(RESIDENT)[-1].startswith(broadcast_texts.SUBSCRIBE_HEADER)
        assert buttons(bot, RESIDENT)[1] == ("▫️ Отключения", SubscribeAction(2, True).encode())

        await press(bot, RESIDENT, SubscribeAction(2, True).encode())
        assert await topics_of(bot, RESIDENT) == {"Отключения"}
        assert "Вы подписаны на: Отключения." in bot.tg.sent_to(RESIDENT)[-1]
        assert buttons(bot, RESIDENT)[1] == ("✅ Отключения", SubscribeAction(2, False).encode())
        await press(bot, RESIDENT, SubscribeAction(3, True).encode())
        await press(bot, RESIDENT, SubscribeAction(2, False).encode())
        assert await topics_of(bot, RESIDENT) == {"Дороги"}
        # An old button pressed again sets the same state instead of flipping it back.
        await press(bot, RESIDENT, SubscribeAction(3, True).encode())
        assert await topics_of(bot, RESIDENT) == {"Дороги"}

        await say(bot, RESIDENT, "/unsubscribe")
        assert bot.tg.sent_to(RESIDENT)[-1] == broadcast_texts.UNSUBSCRIBED
        assert await topics_of(bot, RESIDENT) == set()
        assert await opted_out(bot, RESIDENT)
        await say(bot, RESIDENT, "/subscribe")
        assert broadcast_texts.OPTED_OUT_NOTE in bot.tg.sent_to(RESIDENT)[-1]
        await press(bot, RESIDENT, SubscribeAction(1, True).encode())
        assert not await opted_out(bot, RESIDENT)


async def test_new_resident_is_asked_once(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await say(bot, RESIDENT, "/start")
        await say(bot, NEIGHBOUR, "/start")
        assert await bot.core.broadcasts.run_once() == 2
        assert bot.tg.sent_to(RESIDENT)[-1] == broadcast_texts.NOTIFY_QUESTION
        assert buttons(bot, RESIDENT) == [
            (broadcast_texts.YES_BUTTON, NotifyAction(True).encode()),
            (broadcast_texts.NO_BUTTON, NotifyAction(False).encode()),
        ]

        await press(bot, RESIDENT, NotifyAction(True).encode())
        assert await topics_of(bot, RESIDENT) == set(TOPICS)
        await press(bot, NEIGHBOUR, NotifyAction(False).encode())
        assert await topics_of(bot, NEIGHBOUR) == set()
        assert not await opted_out(bot, NEIGHBOUR)  # emergency alerts still reach them
        async with bot.core.database.unit_of_work() as uow:
            answers = {
                row.answer for row in await uow.session.scalars(select(NotificationSettingsRow))
            }
        assert answers == {"yes", "no"}

        await say(bot, RESIDENT, "/start")
        await say(bot, RESIDENT, "Начать")
        assert await bot.core.broadcasts.run_once() == 0
        asked = [t for t in bot.tg.sent_to(RESIDENT) if t == broadcast_texts.NOTIFY_QUESTION]
        assert len(asked) == 1


async def staff_says(bot: RunningBot, user: int, text: str | None, **kwargs: Any) -> None:
    async with expect(bot, STAFF_CHAT):
        bot.tg.push_staff_message(STAFF_CHAT, user, text, **kwargs)


async def start_draft(bot: RunningBot, topic: int, text: str, **kwargs: Any) -> None:
    """/announce, a topic, then the text (and media); the preview comes before the summary."""
    await staff_says(bot, ADMIN, "/announce")
    assert bot.tg.sent_to(STAFF_CHAT)[-1] == broadcast_texts.CHOOSE_TOPIC
    await press(bot, ADMIN, AnnounceTopicAction(topic).encode(), STAFF_CHAT)
    async with expect(bot, STAFF_CHAT):
        bot.tg.push_staff_message(STAFF_CHAT, ADMIN, text, **kwargs)


async def test_announce_with_photo_preview_and_confirmation(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        for resident in (RESIDENT, NEIGHBOUR):
            await say(bot, resident, "/subscribe")
        await press(bot, RESIDENT, SubscribeAction(3, True).encode())
        await press(bot, NEIGHBOUR, SubscribeAction(1, True).encode())

        caption = "С 1 по 5 декабря перекрыта улица Ленина."
        await start_draft(bot, 3, None, photo=True, caption=caption)
        (preview,) = bot.tg.calls("copyMessage", chat_id=STAFF_CHAT)
        assert preview.params["caption"].startswith("📢 Дороги\n\n" + caption)
        summary = bot.tg.sent_to(STAFF_CHAT)[-1]
        assert "Тема: Дороги. Получателей сейчас: 1." in summary
        assert [label for label, _ in buttons(bot, STAFF_CHAT)] == [
            broadcast_texts.SEND_BUTTON,
            broadcast_texts.LATER_BUTTON,
            broadcast_texts.CANCEL_BUTTON,
        ]
        assert not bot.tg.calls("sendPhoto", chat_id=RESIDENT)
        assert not bot.tg.calls("copyMessage", chat_id=RESIDENT)

        await press(bot, ADMIN, AnnounceAction(AnnounceVerb.SEND).encode(), STAFF_CHAT)
        assert "Объявление отправляется: рассылка №" in bot.tg.sent_to(STAFF_CHAT)[-1]
        assert await bot.core.broadcasts.run_once() == 1

        (photo,) = bot.tg.calls("sendPhoto", chat_id=RESIDENT)
        assert photo.params["caption"] == (f"📢 Дороги\n\n{caption}\n\n{broadcast_texts.FOOTER}")
        # The staff chat's own photo handle, not a new upload per resident.
        assert isinstance(photo.params["photo"], str)
        assert not bot.tg.calls("sendPhoto", chat_id=NEIGHBOUR)
        assert "доставлено 1" in bot.tg.sent_to(STAFF_CHAT)[-1]
        async with bot.core.database.unit_of_work() as uow:
            (row,) = await uow.session.scalars(select(BroadcastRow))
            assert row.kind == "announcement" and row.topic == "Дороги"
            assert row.created_by == f"telegram:{ADMIN}" and row.status == "done"
        # The confirmation button is used up.
        await press(bot, ADMIN, AnnounceAction(AnnounceVerb.SEND).encode(), STAFF_CHAT)
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == broadcast_texts.STALE_DRAFT


async def test_scheduled_emergency_alert_and_cancel(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await say(bot, RESIDENT, "/start")
        await start_draft(bot, 0, "Сильный ветер, не выходите из дома.")
        assert bot.tg.sent_to(STAFF_CHAT)[-2].startswith(broadcast_texts.EMERGENCY_HEADER)
        await press(bot, ADMIN, AnnounceAction(AnnounceVerb.LATER).encode(), STAFF_CHAT)
        await staff_says(bot, ADMIN, "завтра")
        assert "Не понял" in bot.tg.sent_to(STAFF_CHAT)[-1]
        await staff_says(bot, ADMIN, "26 ноября 2026 в 15:30")
        assert "Отправить 26.11.2026 15:30?" in bot.tg.sent_to(STAFF_CHAT)[-1]
        await press(bot, ADMIN, AnnounceAction(AnnounceVerb.SEND).encode(), STAFF_CHAT)
        assert "запланировано на 26.11.2026 15:30" in bot.tg.sent_to(STAFF_CHAT)[-1]
        async with bot.core.database.unit_of_work() as uow:
            row = await uow.session.scalar(select(BroadcastRow).where(BroadcastRow.emergency))
            assert row is not None
            assert row.scheduled_at == datetime(2026, 11, 26, 12, 30, tzinfo=UTC)

        await start_draft(bot, 1, "Черновик")
        await press(bot, ADMIN, AnnounceAction(AnnounceVerb.CANCEL).encode(), STAFF_CHAT)
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == broadcast_texts.CANCELLED
        async with bot.core.database.unit_of_work() as uow:
            assert len(list(await uow.session.scalars(select(BroadcastRow.id)))) == 2


async def test_announce_is_for_administrators_only(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await staff_says(bot, STAFF, "/announce")
        assert bot.tg.sent_to(STAFF_CHAT)[-1] == staff_texts.ADMINS_ONLY
        await start_draft(bot, 2, "Плановое отключение воды")
        summary = last_message_id(bot, STAFF_CHAT)
        send = AnnounceAction(AnnounceVerb.SEND).encode()
        bot.tg.push_callback(STAFF, send, summary, chat_id=STAFF_CHAT)
        *_, refusal = await bot.tg.wait_for("answerCallbackQuery", 2)
        await bot.settle()
        assert refusal.params.get("text") == staff_texts.ADMINS_ONLY
        async with bot.core.database.unit_of_work() as uow:
            assert list(await uow.session.scalars(select(BroadcastRow.id))) == []


def test_announcement_file_errors_name_every_reason(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("topic: Погода\nwhen: завтра\nphoto: none.jpg\n", encoding="utf-8")
    now = datetime(2026, 11, 26, tzinfo=UTC)
    with pytest.raises(AnnouncementFileError) as raised:
        load_announcement_file(broken, topics=TOPICS, tz=UTC, now=now)
    message = str(raised.value)
    assert "'when'" in message and "'text' is required" in message
    assert "'topic' must be one of" in message and "none.jpg" in message


def test_announcement_file_takes_a_russian_date(tmp_path: Path) -> None:
    announcement = tmp_path / "outage.yaml"
    announcement.write_text(
        "topic: Отключения\ntext: Не будет воды.\nat: 3 декабря 2026 09:00\n", encoding="utf-8"
    )
    now = datetime(2026, 11, 26, tzinfo=UTC)
    spec = load_announcement_file(announcement, topics=TOPICS, tz=UTC, now=now)
    assert spec.at == datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_announce_command_queues_the_file(database_url: str, tmp_path: Path) -> None:
    (tmp_path / "outage.jpg").write_bytes(b"\xff\xd8 fake jpeg")
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    announcement = tmp_path / "outage.yaml"
    announcement.write_text(
        "topic: Отключения\n"
        "text: |\n  3 декабря с 9:00 до 17:00 не будет горячей воды.\n"
        "photo: outage.jpg\n"
        f"at: {when}\n"
        "audience: telegram\n",
        encoding="utf-8",
    )
    env = {**os.environ, "DATABASE_URL": database_url, "TIMEZONE": "UTC"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "announce", str(announcement)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "queued as broadcast 1" in done.stdout


async def test_the_queued_file_is_stored_for_the_bot(database_url: str, tmp_path: Path) -> None:
    """What the command above stores, checked in-process on the same schema."""
    from bot.app import announce_file

    (tmp_path / "outage.jpg").write_bytes(b"\xff\xd8 fake jpeg")
    announcement = tmp_path / "outage.yaml"
    announcement.write_text(
        "emergency: true\ntext: Штормовое предупреждение\nphoto: outage.jpg\n", encoding="utf-8"
    )
    settings = Settings(database_url=database_url, _env_file=None)
    output = io.StringIO()
    assert await announce_file(settings, announcement, output) == 0
    assert "queued as broadcast 1 for now" in output.getvalue()
    from bot.storage.database import Database
    from bot.storage.models import BroadcastAttachmentRow

    database = Database(database_url)
    try:
        async with database.unit_of_work() as uow:
            (row,) = await uow.session.scalars(select(BroadcastRow))
            (media,) = await uow.session.scalars(select(BroadcastAttachmentRow))
            uow.session.expunge_all()
        assert row.emergency and row.topic is None and row.status == "scheduled"
        assert row.text.startswith(broadcast_texts.EMERGENCY_HEADER)
        assert sorted(row.platforms) == ["telegram", "vk"]
        assert media.kind == "photo" and media.data == b"\xff\xd8 fake jpeg"
        assert row.scheduled_at <= datetime.now(UTC)
    finally:
        await database.dispose()
