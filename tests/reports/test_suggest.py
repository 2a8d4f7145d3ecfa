from __future__ import annotations

from datetime import date
from pathlib import Path

from bot.reports.suggest import draft_entries, draft_id, write_drafts
from bot.storage.database import Database
from faq.kb import load_knowledge_base
from tests.reports.seed import MSK, PHONE, seed

WEEK = (date(2026, 6, 8), date(2026, 6, 14))


async def test_drafts_come_from_answered_clusters(database: Database, tmp_path: Path) -> None:
    await seed(database)
    entries = await draft_entries(database, MSK, *WEEK)
    assert entries == [
        {
            "id": "draft-1-vklyuchit-otoplenie-telefon",
            "category": "ЖКХ",
            "questions": [
                "Когда включат отопление? Мой телефон [телефон]",
                "когда дадут отопление в домах",
                "Почему нет отопления, когда включат?",
            ],
            "answer": "Отопление включат 15 октября.\nСправки по телефону [телефон].",
        }
    ]
    path = tmp_path / "drafts.yaml"
    write_drafts(entries, path, period=WEEK)
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Черновики") and "# Период: 08.06.2026 — 14.06.2026." in text
    assert PHONE not in text and "2-34-56" not in text
    kb = load_knowledge_base([path])
    (entry,) = kb.entries
    assert entry.id == "draft-1-vklyuchit-otoplenie-telefon"
    assert entry.category == "ЖКХ"
    assert entry.answer == "Отопление включат 15 октября.\nСправки по телефону [телефон]."
    assert len(entry.questions) == 3


async def test_no_drafts_for_a_quiet_period(database: Database, tmp_path: Path) -> None:
    await seed(database)
    assert await draft_entries(database, MSK, date(2026, 1, 1), date(2026, 1, 31)) == []
    path = tmp_path / "none.yaml"
    write_drafts([], path)
    assert load_knowledge_base([path]).entries == ()


async def test_limit_keeps_the_largest_clusters(database: Database) -> None:
    await seed(database)
    assert await draft_entries(database, MSK, *WEEK, limit=0) == []


def test_awkward_texts_survive_the_yaml_round_trip(tmp_path: Path) -> None:
    entries = [
        {
            "id": draft_id(1, "Где взять справку: «форма №9»?"),
            "questions": ["Где взять справку: «форма №9»?", "- справка # 9", "'да' или \"нет\""],
            "answer": "Справку выдаёт МФЦ.\n\n  Адрес: [адрес]\nЧасы: 9:00–18:00 # без обеда",
        },
        {
            "id": draft_id(2, "yes"),
            "category": "null",
            "questions": ["yes", "123"],
            "answer": "on",
        },
    ]
    path = tmp_path / "awkward.yaml"
    write_drafts(entries, path)
    kb = load_knowledge_base([path])
    assert [entry.id for entry in kb.entries] == ["draft-1-vzyat-spravka-forma", "draft-2-es"]
    first, second = kb.entries
    assert first.questions == (
        "Где взять справку: «форма №9»?",
        "- справка # 9",
        "'да' или \"нет\"",
    )
    assert first.answer == "Справку выдаёт МФЦ.\n\n  Адрес: [адрес]\nЧасы: 9:00–18:00 # без обеда"
    assert second.category == "null" and second.questions == ("yes", "123")
    assert second.answer == "on"


def test_draft_ids_are_kebab_case() -> None:
    assert draft_id(3, "Когда включат горячую воду?") == "draft-3-vklyuchit-goryachiy-voda"
    assert draft_id(4, "???") == "draft-4"
