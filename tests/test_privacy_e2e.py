"""Privacy end to end through the fake Telegram server: what reaches staff without consent."""

from __future__ import annotations

from bot.core import texts
from bot.core.actions import ConsentAction
from bot.settings import Settings
from tests.erasure_checks import found_in_rows
from tests.harness import RunningBot
from tests.test_appeals_e2e import RESIDENT, STAFF_CHAT, expect, open_appeal, staffed_bot

PERSONAL = "Петрова Анна, кв. 12, телефон 8 916 123-45-67"
GAS = "в подъезде сильно пахнет газом, помогите!"


def staff_saw(bot: RunningBot, text: str) -> bool:
    return any(text in sent for sent in bot.tg.sent_to(STAFF_CHAT))


async def test_after_declining_nothing_joins_the_open_appeal(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        await open_appeal(bot)
        # The notice's «decline» button, pressed after all: the choice stands from now on.
        async with expect(bot, RESIDENT):
            bot.tg.push_callback(RESIDENT, ConsentAction(accept=False).encode(), 1)
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.CONSENT_DECLINED
        staff_posts = len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT))

        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, PERSONAL)
        assert len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)) == staff_posts
        assert not staff_saw(bot, "Петрова Анна")
        # Not kept either: neither as an exchange nor as the platform update it came in; the
        # updates of earlier messages lose the name as well.
        assert await found_in_rows(bot.core, [PERSONAL, "916 123-45-67", "Петрова"]) == []


async def test_an_emergency_appeal_takes_no_follow_up_without_consent(settings: Settings) -> None:
    async with staffed_bot(settings) as bot:
        async with expect(bot, STAFF_CHAT, more=2):
            bot.tg.push_message(RESIDENT, GAS, first_name="Анна", last_name="Петрова")
        staff_posts = len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT))

        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, PERSONAL)
        assert len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)) == staff_posts
        async with expect(bot, RESIDENT):
            bot.tg.push_callback(RESIDENT, ConsentAction(accept=False).encode(), 1)
        assert bot.tg.sent_to(RESIDENT)[-1] == texts.CONSENT_DECLINED
        async with expect(bot, RESIDENT):
            bot.tg.push_message(RESIDENT, PERSONAL)
        assert len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)) == staff_posts
        assert not staff_saw(bot, PERSONAL)

        # A new danger still goes to staff at once, consent or not.
        async with expect(bot, STAFF_CHAT, more=2):
            bot.tg.push_message(RESIDENT, "пожар на втором этаже, горит квартира")
        assert staff_saw(bot, "пожар на втором этаже")
