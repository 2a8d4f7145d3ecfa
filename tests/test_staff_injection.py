"""What residents write reaches staff chats inert: no link previews, no live mentions or
commands, no bidi or zero-width tricks in names and topic titles. Asserted on what the fake
Telegram and VK servers received from the real clients."""

from __future__ import annotations

from typing import Any

from bot.core.actions import ConsentAction
from bot.core.sanitize import BIDI_CONTROLS, WORD_JOINER, ZERO_WIDTH
from bot.settings import Settings
from tests.core.test_sanitize import bot_commands, mentions
from tests.harness import RunningBot
from tests.test_appeals_e2e import RESIDENT, STAFF_CHAT, appeals, number_of
from tests.test_staff_chat import created_topics, staff_bot
from tests.test_vk_staff import STAFF_PEER, staff_posts, vk_staffed_bot
from tests.vk_staff_harness import RESIDENT as VK_RESIDENT
from tests.vk_staff_harness import ask_vk, sent_to

FIRST_NAME = "\u202eАнна @admin"
LAST_NAME = "Пе\u200bтрова\u2066 /close"
CLEAN_NAME = "Анна @admin Петрова /close"
QUESTION = (
    "на улице Ленина 5 третий день нет воды, примите меры! @all смотрите "
    "https://evil.example/x и нажмите /close 2026-0001 \u2067или\u2069 /ban@vmeste_bot"
)
INVISIBLE = set(BIDI_CONTROLS + ZERO_WIDTH) - {WORD_JOINER}
NO_PREVIEW = {"is_disabled": True}


def inert(text: str) -> bool:
    """Telegram's own rules find no mention and no command in `text`."""
    return not mentions(text) and not bot_commands(text)


async def ask(bot: RunningBot, text: str, **message: Any) -> None:
    """A Telegram resident's question that becomes an appeal in the staff chat."""
    cards = len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT))
    bot.tg.push_message(RESIDENT, text, first_name=FIRST_NAME, last_name=LAST_NAME, **message)
    (consent,) = await bot.tg.wait_for("sendMessage", 1, chat_id=RESIDENT)
    bot.tg.push_callback(
        RESIDENT, ConsentAction(accept=True).encode(), consent.result["message_id"]
    )
    await bot.tg.wait_for("sendMessage", cards + 1, chat_id=STAFF_CHAT)
    await bot.settle()


async def test_telegram_cards_follow_ups_media_and_topics_are_inert(settings: Settings) -> None:
    async with staff_bot(settings) as bot:
        await ask(bot, QUESTION)
        number = number_of((await appeals(bot))[0])
        (topic,) = created_topics(bot)
        assert topic.params["name"] == f"{CLEAN_NAME} · Telegram · № {number}"

        card = bot.tg.calls("sendMessage", chat_id=STAFF_CHAT)[-1]
        assert card.params["link_preview_options"] == NO_PREVIEW
        sent = card.params["text"]
        assert "https://evil.example/x" in sent and not INVISIBLE & set(sent)
        assert f"@{WORD_JOINER}all" in sent and f"/{WORD_JOINER}close 2026-0001" in sent
        assert f"@{WORD_JOINER}admin" in sent and f"/{WORD_JOINER}ban@vmeste_bot" in sent
        assert inert(card.result["text"])
        # What the resident reads is no staff-chat post: previews stay as they were.
        to_resident = bot.tg.calls("sendMessage", chat_id=RESIDENT)
        assert to_resident and all("link_preview_options" not in r.params for r in to_resident)

        before = len(bot.tg.calls("sendMessage", chat_id=STAFF_CHAT))
        bot.tg.push_message(RESIDENT, "и ещё @all /start www.evil.example", first_name=FIRST_NAME)
        follow_up = (await bot.tg.wait_for("sendMessage", before + 1, chat_id=STAFF_CHAT))[-1]
        await bot.settle()
        assert follow_up.params["link_preview_options"] == NO_PREVIEW
        assert inert(follow_up.result["text"]) and "www.evil.example" in follow_up.result["text"]

        bot.tg.push_message(RESIDENT, None, photo=True, first_name=FIRST_NAME, last_name=LAST_NAME)
        (copied,) = await bot.tg.wait_for("copyMessage", 1, chat_id=STAFF_CHAT)
        await bot.settle()
        caption = copied.params["caption"]
        assert caption.replace(WORD_JOINER, "") == f"№ {number} · {CLEAN_NAME}"
        assert inert(caption) and not INVISIBLE & set(caption)


async def test_vk_staff_conversation_gets_no_mentions_and_no_snippets(settings: Settings) -> None:
    async with vk_staffed_bot(settings) as bot:
        bot.vk.set_user(VK_RESIDENT, "\u202eОльга\u200b", "@all")
        await ask_vk(bot.vk, QUESTION + " [id1|Павел] *id2")
        (card,) = await staff_posts(bot, 1)
        assert str(card.params["disable_mentions"]) == "1"
        assert str(card.params["dont_parse_links"]) == "1"
        text = card.params["message"]
        assert "От: Ольга @\u2060all (https://vk.com/id" in text
        assert f"@{WORD_JOINER}all смотрите" in text and not INVISIBLE & set(text)
        # The resident's own messages are not staff-chat posts.
        assert all(
            "disable_mentions" not in r.params for r in sent_to(bot.vk.requests, VK_RESIDENT)
        )
        assert STAFF_PEER in card.params["peer_ids"]
