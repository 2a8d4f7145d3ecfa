"""The real aiogram client polling the fake Telegram Bot API server."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.core import texts
from bot.settings import Settings
from tests.harness import running_bot

RESIDENT = 5001


async def test_start_question_unknown_and_records(settings: Settings) -> None:
    async with running_bot(settings) as bot:
        bot.tg.push_message(RESIDENT, "/start", first_name="Ольга")
        await bot.tg.wait_for("sendMessage", 1, chat_id=RESIDENT)
        bot.tg.push_message(RESIDENT, "когда дадут отопление в этом году")
        await bot.tg.wait_for("sendMessage", 2, chat_id=RESIDENT)
        bot.tg.push_message(RESIDENT, "кто победит на выборах президента сша")
        await bot.tg.wait_for("sendMessage", 3, chat_id=RESIDENT)
        await bot.settle()

        greeting, answer, fallback = bot.tg.calls("sendMessage", chat_id=RESIDENT)
        assert greeting.params["text"].startswith(texts.GREETING)
        assert greeting.params["reply_markup"]["keyboard"][0][0]["text"] == texts.MENU_ASK_STAFF
        heating = bot.core.faq.entry("heating-season")
        assert heating is not None
        assert answer.params["text"] == heating.answer.strip()
        buttons = answer.params["reply_markup"]["inline_keyboard"][0]
        assert [b["text"] for b in buttons] == [texts.HELPFUL_BUTTON, texts.NOT_HELPFUL_BUTTON]
        assert fallback.params["text"] in {
            texts.SUGGEST,
            texts.consent_notice(
                bot.core.settings.privacy_policy_url, bot.core.settings.retention_days
            ),
        }

        rows = await bot.exchanges()
        inbound = [row for row in rows if row.direction == "in"]
        outbound = [row for row in rows if row.direction == "out"]
        assert [row.text for row in inbound] == [
            "/start",
            "когда дадут отопление в этом году",
            "кто победит на выборах президента сша",
        ]
        assert inbound[1].outcome == "answer" and inbound[1].faq_entry_id == "heating-season"
        assert inbound[1].candidates and inbound[1].faq_score
        assert inbound[2].outcome in {"escalate", "suggest"}
        assert len(outbound) == 3
        assert all(row.platform_message_id for row in outbound)
        assert all(row.inbox_id for row in inbound)


async def test_long_answer_arrives_split(settings: Settings, tmp_path: Path) -> None:
    paragraph = "Подробный порядок действий при оформлении субсидии на оплату услуг ЖКХ. " * 12
    long_answer = "\n\n".join([paragraph] * 6)
    assert 5000 <= len(long_answer) < 8192
    kb = tmp_path / "kb.yaml"
    kb.write_text(
        yaml.safe_dump(
            [
                {
                    "id": "long-answer",
                    "questions": ["Как оформить субсидию на оплату коммунальных услуг?"],
                    "answer": long_answer,
                }
            ],
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    async with running_bot(settings, faq_path=kb) as bot:
        bot.tg.push_message(RESIDENT, "Как оформить субсидию на оплату коммунальных услуг?")
        sent = await bot.tg.wait_for("sendMessage", 2, chat_id=RESIDENT)
        await bot.settle()
        parts = [request.params["text"] for request in sent]
        assert len(sent) == 2
        assert all(len(part) <= 4096 for part in parts)
        assert " ".join(parts).split() == long_answer.split()
        assert "reply_markup" not in sent[0].params
        assert "inline_keyboard" in sent[1].params["reply_markup"]
        out = [row for row in await bot.exchanges() if row.direction == "out"]
        assert out[0].platform_message_id is not None
        assert len(out[0].platform_message_id.split(",")) == 2


async def test_feedback_buttons_are_recorded(settings: Settings) -> None:
    async with running_bot(settings) as bot:
        clinic = bot.core.faq.entry("clinic-appointment")
        assert clinic is not None
        bot.tg.push_message(RESIDENT, clinic.questions[0])
        (answer,) = await bot.tg.wait_for("sendMessage", 1, chat_id=RESIDENT)
        message_id = answer.result["message_id"]
        not_helpful = answer.params["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
        bot.tg.push_callback(RESIDENT, not_helpful, message_id)
        await bot.tg.wait_for("answerCallbackQuery", 1)
        sent = await bot.tg.wait_for("sendMessage", 2, chat_id=RESIDENT)
        await bot.settle()
        assert sent[1].params["text"] == texts.NOT_HELPFUL
        ask = sent[1].params["reply_markup"]["inline_keyboard"][0][0]
        assert ask["text"] == "Да, передать сотруднику"

        helpful = answer.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        bot.tg.push_callback(RESIDENT, helpful, message_id)
        sent = await bot.tg.wait_for("sendMessage", 3, chat_id=RESIDENT)
        await bot.settle()
        assert sent[2].params["text"] == texts.THANKS_FOR_FEEDBACK
        question = (await bot.exchanges())[0]
        assert question.feedback == "helpful"
        assert question.feedback_at is not None


async def test_group_chats_other_than_staff_are_ignored(settings: Settings) -> None:
    async with running_bot(settings) as bot:
        bot.tg.push_message(
            RESIDENT, "когда дадут отопление", chat_id=-100777, chat_type="supergroup"
        )
        bot.tg.push_message(RESIDENT, "/help")
        await bot.tg.wait_for("sendMessage", 1)
        await bot.settle()
        assert bot.tg.calls("sendMessage", chat_id=-100777) == []
        assert [row.text for row in await bot.exchanges() if row.direction == "in"] == ["/help"]
