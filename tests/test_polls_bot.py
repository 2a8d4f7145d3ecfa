"""Polls «Решаем вместе» end to end: residents vote in Telegram and VK through the real aiogram
and vkbottle clients against the fake servers, staff run polls from the staff chat, the
scheduler publishes and closes them; one real database throughout."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core import staff_texts
from bot.core import texts as core_texts
from bot.core.actions import PollAdminAction, PollOtherAction, PollVerb, VoteAction
from bot.core.messages import ResidentKey
from bot.settings import Settings
from bot.storage.records import Audience, PollStatus
from polls import texts
from tests.common import FixedClock
from tests.conftest import PROJECT
from tests.polls_harness import (
    ADMIN,
    STAFF,
    STAFF_CHAT,
    PollsBot,
    polls_bot,
    telegram,
    tg_buttons,
    vk,
    vk_buttons,
)

ANNA = 5101
BORIS = 5102
OLGA = 501


async def ballots(bot: PollsBot, poll_id: int) -> tuple[int, int]:
    async with bot.core.database.unit_of_work() as uow:
        return await uow.polls.counts(poll_id)


async def tg_poll_message(bot: PollsBot, resident: int) -> dict[str, object]:
    """Ask for open polls in Telegram; the (last) poll message the resident got."""
    before = len(bot.tg_seen(resident))
    bot.tg.push_message(resident, "/polls", first_name="Анна")
    await bot.tg_sends(resident, before + 1)
    await bot.settle()
    return bot.tg_seen(resident)[-1]


async def tg_press(bot: PollsBot, resident: int, data: str, message_id: int) -> str:
    """Press a button under a Telegram message; the text of the bot's answer."""
    before = len(bot.tg_seen(resident))
    bot.tg.push_callback(resident, data, message_id)
    sent = await bot.tg_sends(resident, before + 1)
    await bot.settle()
    return str(sent[before]["text"])


async def test_vote_in_telegram_and_vk_counts_each_resident_once(settings: Settings) -> None:
    async with polls_bot(settings) as bot:
        poll_id = await bot.create_poll()
        message = await tg_poll_message(bot, ANNA)
        assert "Где поставить новую детскую площадку?" in str(message["text"])
        buttons = tg_buttons(message)
        assert [data for _, data in buttons] == [
            VoteAction(poll_id, position).encode() for position in (1, 2, 3)
        ]

        answer = await tg_press(bot, ANNA, buttons[1][1], int(str(message["message_id"])))
        (edit,) = bot.tg.calls("editMessageText", chat_id=ANNA)
        assert edit.params["message_id"] == message["message_id"]  # the poll updated in place
        assert answer.startswith(texts.VOTE_ACCEPTED)
        assert "Ваш ответ: Улица Мира" in answer
        assert "Улица Мира — 1 (100%)" in answer

        # The same person in VK is another resident (VK user 5101 is not Telegram user 5101).
        for user_id in (OLGA, ANNA):
            before = len(bot.vk.sent_to(user_id))
            bot.vk.push_message(user_id, "/polls")
            poll_send = (await bot.vk_sends(user_id, before + 1))[-1]
            vk_vote = dict(vk_buttons(poll_send))["2. Улица Мира"]
            assert vk_vote == VoteAction(poll_id, 2).encode()
            bot.vk.push_message_event(user_id, {"a": vk_vote})
            reply = (await bot.vk_sends(user_id, before + 2))[-1]
            await bot.settle()
            assert reply.params["message"].startswith(texts.VOTE_ACCEPTED)

        results = await bot.core.polls.results(poll_id)
        assert results.total_voters == 3
        assert [option.votes for option in results.options] == [0, 3, 0]
        assert await ballots(bot, poll_id) == (3, 3)
        assert await bot.core.polls.choice(poll_id, vk(ANNA)) is not None
        assert await bot.core.polls.choice(poll_id, telegram(OLGA)) is None


async def test_revote_follows_the_poll_rule(settings: Settings) -> None:
    async with polls_bot(settings) as bot:
        free = await bot.create_poll()
        fixed = await bot.create_poll(question="Нужен ли новый светофор?", revote=False)
        message = await tg_poll_message(bot, ANNA)
        assert tg_buttons(message)[0][1] == VoteAction(fixed, 1).encode()
        message_id = int(str(message["message_id"]))

        for poll_id in (free, fixed):
            first = await tg_press(bot, ANNA, VoteAction(poll_id, 1).encode(), message_id)
            assert first.startswith(texts.VOTE_ACCEPTED)
        changed = await tg_press(bot, ANNA, VoteAction(free, 3).encode(), message_id)
        assert changed.startswith(texts.VOTE_CHANGED) and "Ваш ответ: Школьный двор" in changed
        refused = await tg_press(bot, ANNA, VoteAction(fixed, 2).encode(), message_id)
        assert refused == texts.REFUSED_REVOTE

        assert [o.votes for o in (await bot.core.polls.results(free)).options] == [0, 0, 1]
        assert [o.votes for o in (await bot.core.polls.results(fixed)).options] == [1, 0, 0]


async def test_closed_unknown_and_forged_votes_change_nothing(settings: Settings) -> None:
    async with polls_bot(settings) as bot:
        poll_id = await bot.create_poll()
        closed_id = await bot.create_poll(question="Старый опрос")
        message = await tg_poll_message(bot, ANNA)
        message_id = int(str(message["message_id"]))
        assert await tg_press(bot, ANNA, VoteAction(poll_id, 1).encode(), message_id)
        assert await bot.core.polls.close(closed_id, bot.clock.now)

        closed = await tg_press(bot, ANNA, VoteAction(closed_id, 1).encode(), message_id)
        assert closed.startswith(texts.REFUSED_CLOSED) and "опрос завершён" in closed
        forged = await tg_press(bot, ANNA, VoteAction(poll_id, 9).encode(), message_id)
        assert forged == texts.REFUSED_NO_SUCH_OPTION
        unknown = await tg_press(bot, ANNA, VoteAction(999, 1).encode(), message_id)
        assert unknown == texts.REFUSED_UNKNOWN_POLL
        garbage = await tg_press(bot, ANNA, "pv:1:x", message_id)
        assert garbage == core_texts.STALE_BUTTON

        assert await ballots(bot, poll_id) == (1, 1)
        assert await ballots(bot, closed_id) == (0, 0)
        assert await bot.core.polls.choice(poll_id, telegram(ANNA)) is not None


async def test_double_tap_and_redelivery_count_once(settings: Settings) -> None:
    async with polls_bot(settings) as bot:
        poll_id = await bot.create_poll()
        message = await tg_poll_message(bot, ANNA)
        message_id = int(str(message["message_id"]))
        before = len(bot.tg_seen(ANNA))
        data = VoteAction(poll_id, 3).encode()
        tap = bot.tg.push_callback(ANNA, data, message_id)
        bot.tg.push_callback(ANNA, data, message_id)
        sent = await bot.tg_sends(ANNA, before + 2)
        await bot.settle()
        assert [str(m["text"]).split("\n")[0] for m in sent[before:]] == [
            texts.VOTE_ACCEPTED,
            texts.VOTE_UNCHANGED,
        ]
        # Telegram sending the same update again (same update_id) is handled once only.
        bot.tg.push_update(tap)
        await bot.settle()
        assert len(bot.tg_seen(ANNA)) == before + 2

        vk_event = bot.vk.push_message_event(OLGA, {"a": data})
        bot.vk.push(vk_event)
        await bot.vk_sends(OLGA, 1)
        await bot.settle()
        assert len(await bot.vk_sends(OLGA, 1)) == 1
        assert await ballots(bot, poll_id) == (2, 2)
        assert (await bot.core.polls.results(poll_id)).options[2].votes == 2


async def test_own_answer_and_polls_list(settings: Settings) -> None:
    async with polls_bot(settings) as bot:
        before = len(bot.tg_seen(ANNA))
        bot.tg.push_message(ANNA, "/polls")
        sent = await bot.tg_sends(ANNA, before + 1)
        assert sent[-1]["text"] == texts.NO_OPEN_POLLS

        poll_id = await bot.create_poll(other=True)
        vk_only = await bot.create_poll(question="Только для ВКонтакте", audience=Audience.VK)
        message = await tg_poll_message(bot, ANNA)
        assert vk_only != poll_id and "Только для ВКонтакте" not in str(message["text"])
        message_id = int(str(message["message_id"]))
        assert tg_buttons(message)[-1] == (texts.OTHER_BUTTON, PollOtherAction(poll_id).encode())
        asked = await tg_press(bot, ANNA, PollOtherAction(poll_id).encode(), message_id)
        assert asked == texts.ASK_OTHER

        before = len(bot.tg_seen(ANNA))
        bot.tg.push_message(ANNA, "  Возле   бассейна ")
        answer = (await bot.tg_sends(ANNA, before + 1))[-1]
        await bot.settle()
        assert str(answer["text"]).startswith(texts.VOTE_ACCEPTED)
        assert "свой вариант «Возле бассейна»" in str(answer["text"])
        results = await bot.core.polls.results(poll_id)
        assert results.other_answers == ("Возле бассейна",)

        # The next message is an ordinary one again.
        before = len(bot.tg_seen(ANNA))
        bot.tg.push_message(ANNA, "/polls")
        again = (await bot.tg_sends(ANNA, before + 1))[-1]
        await bot.settle()
        assert "Ваш ответ: свой вариант «Возле бассейна»" in str(again["text"])
        assert (await bot.core.polls.results(poll_id)).other_answers == ("Возле бассейна",)

        late = bot.clock.now + timedelta(days=10)
        bot.clock.now = late
        asked_late = await tg_press(bot, ANNA, PollOtherAction(poll_id).encode(), message_id)
        assert asked_late == texts.REFUSED_CLOSED


async def staff_says(bot: PollsBot, user: int, text: str) -> dict[str, object]:
    """A message in the staff chat; the bot's answer there (text or photo)."""
    before = len(bot.tg_seen(STAFF_CHAT))
    bot.tg.push_staff_message(STAFF_CHAT, user, text)
    await bot.tg_sends(STAFF_CHAT, before + 1)
    await bot.settle()
    return bot.tg_seen(STAFF_CHAT)[before]


async def staff_presses(bot: PollsBot, user: int, data: str, message_id: int) -> str:
    before = len(bot.tg_seen(STAFF_CHAT))
    bot.tg.push_callback(user, data, message_id, chat_id=STAFF_CHAT)
    await bot.tg_sends(STAFF_CHAT, before + 1)
    await bot.settle()
    return str(bot.tg_seen(STAFF_CHAT)[before]["text"])


async def subscribe(bot: PollsBot, *residents: ResidentKey) -> None:
    """Residents known to the bot and subscribed to the polls topic."""
    async with bot.core.database.unit_of_work() as uow:
        for key in residents:
            resident = await uow.residents.touch(key, "Житель", None, bot.clock.now)
            await uow.subscriptions.set_topics(
                resident.id, [texts.POLLS_TOPIC], on=True, now=bot.clock.now
            )
        await uow.commit()


async def vote_both(bot: PollsBot, poll_id: int) -> None:
    """Anna votes 1 in Telegram, Olga 2 in VK."""
    message = await tg_poll_message(bot, ANNA)
    await tg_press(bot, ANNA, VoteAction(poll_id, 1).encode(), int(str(message["message_id"])))
    before = len(bot.vk.sent_to(OLGA))
    bot.vk.push_message_event(OLGA, {"a": VoteAction(poll_id, 2).encode()})
    await bot.vk_sends(OLGA, before + 1)
    await bot.settle()


def png_of(bot: PollsBot, photo_message: dict[str, object]) -> bytes:
    sizes = photo_message["photo"]
    assert isinstance(sizes, list)
    return bot.tg.file_bytes(sizes[-1]["file_id"])


async def test_poll_from_yaml_is_published_by_the_running_bot(
    settings: Settings, tmp_path: Path
) -> None:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    async with polls_bot(settings, clock) as bot:
        await subscribe(bot, telegram(ANNA), vk(OLGA))
        await subscribe(bot, telegram(BORIS))
        async with bot.core.database.unit_of_work() as uow:
            boris = await uow.residents.find(telegram(BORIS))
            assert boris is not None
            await uow.subscriptions.set_topics(
                boris.id, [texts.POLLS_TOPIC], on=False, now=clock.now
            )
            await uow.commit()
        closes = (clock.now + timedelta(days=9)).astimezone(settings.tz)
        poll_file = tmp_path / "poll.yaml"
        poll_file.write_text(
            "question: Какой сквер благоустроить первым?\n"
            "options: [У школы, У рынка]\n"
            f"closes_at: {closes.strftime('%Y-%m-%dT%H:%M')}\n",
            encoding="utf-8",
        )
        created = await polls_cli(settings, tmp_path, "create", str(poll_file))
        poll_id = int(created.strip())
        await bot.core.poll_publisher.tick()
        assert (await bot.core.polls.get(poll_id)).status is PollStatus.DRAFT  # type: ignore[union-attr]

        published = await polls_cli(settings, tmp_path, "publish", str(poll_id))
        assert "scheduled" in published
        clock.now = datetime.now(UTC) + timedelta(seconds=1)
        await bot.core.poll_publisher.tick()
        await bot.core.poll_publisher.tick()
        poll = await bot.core.polls.get(poll_id)
        assert poll is not None and poll.status is PollStatus.PUBLISHED
        assert await bot.core.broadcasts.run_once() == 2

        message = bot.tg.messages_to(ANNA)[-1]
        assert "Какой сквер благоустроить первым?" in str(message["text"])
        assert [data for _, data in tg_buttons(message)] == [
            VoteAction(poll_id, 1).encode(),
            VoteAction(poll_id, 2).encode(),
        ]
        vk_send = (await bot.vk_sends(OLGA, 1))[-1]
        assert [data for _, data in vk_buttons(vk_send)] == [
            VoteAction(poll_id, 1).encode(),
            VoteAction(poll_id, 2).encode(),
        ]
        assert bot.tg.messages_to(BORIS) == []
        # Published once: later passes queue nothing more.
        await bot.core.poll_publisher.tick()
        assert await bot.core.broadcasts.run_once() == 0

        answer = await tg_press(
            bot, ANNA, VoteAction(poll_id, 2).encode(), int(str(message["message_id"]))
        )
        assert answer.startswith(texts.VOTE_ACCEPTED)


async def polls_cli(settings: Settings, cwd: Path, *args: str) -> str:
    """`python -m polls ...` as staff run it next to the running bot; its output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "polls",
        *args,
        cwd=cwd,
        env={**os.environ, "DATABASE_URL": settings.database_url, "PYTHONPATH": str(PROJECT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_closing_time_posts_the_chart_once(settings: Settings) -> None:
    async with polls_bot(settings) as bot:
        poll_id = await bot.create_poll()
        await vote_both(bot, poll_id)
        poll = await bot.core.polls.get(poll_id)
        assert poll is not None

        bot.clock.now = poll.closes_at - timedelta(seconds=1)
        await bot.core.poll_publisher.tick()
        assert bot.tg.calls("sendPhoto", chat_id=STAFF_CHAT) == []

        # The staff chat is unreachable at the closing time: the next pass posts the results.
        bot.clock.now = poll.closes_at + timedelta(seconds=30)
        bot.tg.inject_error("sendPhoto", error_code=400, description="Bad Request: try later")
        await bot.core.poll_publisher.tick()
        assert [c for c in bot.tg.calls("sendPhoto", chat_id=STAFF_CHAT) if c.ok] == []
        bot.tg.clear_faults()
        await bot.core.poll_publisher.tick()
        await bot.core.poll_publisher.tick()

        photos = [c for c in bot.tg.calls("sendPhoto", chat_id=STAFF_CHAT) if c.ok]
        assert len(photos) == 1
        card = bot.tg.messages_to(STAFF_CHAT)[-1]
        png = png_of(bot, card)
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and 10_000 < len(png) < 2_000_000
        caption = str(card["caption"])
        assert f"Итоги опроса № {poll_id}" in caption
        assert "Парк Победы — 1 (50%)" in caption and "Улица Мира — 1 (50%)" in caption
        assert tg_buttons(card) == [
            (texts.PUBLISH_RESULTS_BUTTON, PollAdminAction(PollVerb.RESULTS, poll_id).encode())
        ]
        closed = await bot.core.polls.get(poll_id)
        assert closed is not None and closed.status is PollStatus.CLOSED

        message_id = int(str(bot.tg.messages_to(ANNA)[-1]["message_id"]))
        late = await tg_press(bot, ANNA, VoteAction(poll_id, 3).encode(), message_id)
        assert late.startswith(texts.REFUSED_CLOSED)
        assert (await bot.core.polls.results(poll_id)).total_voters == 2


async def test_guided_poll_new_previews_and_publishes(settings: Settings) -> None:
    async with polls_bot(settings) as bot:
        await subscribe(bot, telegram(ANNA))
        refused = await staff_says(bot, STAFF, "/poll_new")
        assert refused["text"] == staff_texts.ADMINS_ONLY

        steps = [
            ("/poll_new", texts.NEW_QUESTION.format(limit=300)),
            ("Как назвать новый сквер?", texts.NEW_OPTIONS.format(low=2, high=10)),
            ("Только один вариант", texts.BAD_OPTIONS_COUNT.format(low=2, high=10, count=1)),
            ("Сквер Победы\nСквер Мира\n\nСквер Надежды", texts.NEW_MULTIPLE),
            ("может быть", texts.BAD_YES_NO),
            ("нет", texts.NEW_OTHER),
            ("Да", texts.NEW_ANONYMOUS),
            ("да", texts.NEW_REVOTE),
            ("нет", None),
            ("01.01.2020 12:00", texts.BAD_TIME_PAST),
            ("завтра", None),
            ("10 декабря 2026 в 18:00", texts.NEW_AUDIENCE),
            ("везде", texts.BAD_AUDIENCE),
        ]
        for said, expected in steps:
            answer = str((await staff_says(bot, ADMIN, said))["text"])
            if expected is not None:
                assert answer == expected, said
        # A staff member's plain chat in between is not taken as an answer to the admin's flow.
        bot.tg.push_staff_message(STAFF_CHAT, STAFF, "все")
        await bot.settle()

        preview = await staff_says(bot, ADMIN, "все")
        text = str(preview["text"])
        async with bot.core.database.unit_of_work() as uow:
            (poll,) = await uow.polls.latest(5)
        assert text.startswith(texts.PREVIEW.format(poll_id=poll.id))
        assert "Как назвать новый сквер?" in text and "3. Сквер Надежды" in text
        assert "Голосование до 10 декабря 2026 в 18:00" in text
        assert poll.status is PollStatus.DRAFT and poll.other is True
        assert (poll.multiple, poll.anonymous, poll.revote) == (False, True, False)
        assert [option.text for option in poll.options] == [
            "Сквер Победы",
            "Сквер Мира",
            "Сквер Надежды",
        ]
        publish = PollAdminAction(PollVerb.PUBLISH, poll.id).encode()
        assert tg_buttons(preview) == [(texts.PUBLISH_BUTTON, publish)]

        preview_id = int(str(preview["message_id"]))
        bot.tg.push_callback(STAFF, publish, preview_id, chat_id=STAFF_CHAT)
        await bot.settle()
        notice = bot.tg.calls("answerCallbackQuery")[-1].params
        assert notice["text"] == staff_texts.ADMINS_ONLY
        assert (await bot.core.polls.get(poll.id)).status is PollStatus.DRAFT  # type: ignore[union-attr]
        done = await staff_presses(bot, ADMIN, publish, preview_id)
        assert done == texts.PUBLISHED.format(poll_id=poll.id, audience="Telegram и ВКонтакте")
        again = await staff_presses(bot, ADMIN, publish, preview_id)
        assert again == texts.NOT_A_DRAFT.format(poll_id=poll.id)
        assert await bot.core.broadcasts.run_once() == 1
        assert "Как назвать новый сквер?" in str(bot.tg.messages_to(ANNA)[-1]["text"])

        cancelled = [await staff_says(bot, ADMIN, said) for said in ("/poll_new", "отмена")]
        assert cancelled[-1]["text"] == texts.NEW_CANCELLED


async def test_polls_admin_close_and_results_to_voters(settings: Settings) -> None:
    async with polls_bot(settings) as bot:
        poll_id = await bot.create_poll()
        await vote_both(bot, poll_id)
        await subscribe(bot, telegram(BORIS))

        listing = str((await staff_says(bot, ADMIN, "/polls_admin"))["text"])
        assert f"№ {poll_id} · ожидает рассылки" in listing
        assert "Ответили: 2" in listing and "1. Парк Победы — 1" in listing

        assert (await staff_says(bot, ADMIN, "/poll_close"))["text"] == texts.CLOSE_USAGE
        unknown = await staff_says(bot, ADMIN, "/poll_close 999")
        assert unknown["text"] == texts.UNKNOWN_POLL.format(poll_id=999)
        card = await staff_says(bot, ADMIN, f"/poll_close {poll_id}")
        assert png_of(bot, card).startswith(b"\x89PNG")
        assert f"Итоги опроса № {poll_id}" in str(card["caption"])
        again = await staff_says(bot, ADMIN, f"/poll_close {poll_id}")
        assert again["text"] == texts.ALREADY_CLOSED.format(poll_id=poll_id)
        # The scheduler does not close it a second time either.
        bot.clock.now += timedelta(days=30)
        await bot.core.poll_publisher.tick()
        assert len([c for c in bot.tg.calls("sendPhoto", chat_id=STAFF_CHAT) if c.ok]) == 1

        results = tg_buttons(card)[0][1]
        card_id = int(str(card["message_id"]))
        sent = await staff_presses(bot, ADMIN, results, card_id)
        assert sent == texts.RESULTS_SENT.format(poll_id=poll_id, count=2)
        assert await staff_presses(bot, ADMIN, results, card_id) == (
            texts.RESULTS_ALREADY_SENT.format(poll_id=poll_id)
        )
        assert await bot.core.broadcasts.run_once() == 2

        to_anna = bot.tg.messages_to(ANNA)[-1]
        assert str(to_anna.get("caption", to_anna.get("text"))).startswith(texts.RESULTS_FOR_VOTERS)
        assert any("photo" in m for m in bot.tg.messages_to(ANNA)[-2:])
        vk_results = (await bot.vk_sends(OLGA, 2))[-1]
        assert texts.RESULTS_FOR_VOTERS in bot.vk.sent_to(OLGA)[-1]
        assert str(vk_results.params.get("attachment", "")).startswith("photo")
        assert bot.tg.messages_to(BORIS) == []


async def test_long_poll_keeps_every_option_on_vk(settings: Settings) -> None:
    async with polls_bot(settings) as bot:
        options = tuple(f"Вариант номер {n}" for n in range(1, 9))
        poll_id = await bot.create_poll(options=options, other=True)
        bot.vk.push_message(OLGA, "/polls")
        poll_send = (await bot.vk_sends(OLGA, 1))[-1]
        await bot.settle()
        rows = poll_send.params["keyboard"]["buttons"]
        assert len(rows) <= 6
        assert vk_buttons(poll_send) == [
            *((str(n), VoteAction(poll_id, n).encode()) for n in range(1, 9)),
            (texts.OTHER_BUTTON, PollOtherAction(poll_id).encode()),
        ]
        assert "8. Вариант номер 8" in poll_send.params["message"]
        bot.vk.push_message_event(OLGA, {"a": VoteAction(poll_id, 8).encode()})
        voted = (await bot.vk_sends(OLGA, 2))[-1]
        await bot.settle()
        assert ("✅ 8", VoteAction(poll_id, 8).encode()) in vk_buttons(voted)
        assert (await bot.core.polls.results(poll_id)).options[7].votes == 1
