from __future__ import annotations

from faq import FaqEntry, Thresholds
from faq.matcher import Matcher


def _matcher() -> Matcher:
    entries = (
        FaqEntry(
            "office-hours",
            None,
            ("Какой режим работы администрации?", "Где находится администрация?"),
            "Администрация работает с 8:00 до 17:00, ул. Советская, д. 1.",
        ),
        FaqEntry(
            "mfc-hours",
            None,
            ("Какой режим работы МФЦ?", "Где находится МФЦ?"),
            "МФЦ работает с 8:00 до 18:00; подробности на zarechye-adm.example.",
        ),
        FaqEntry(
            "building-permit",
            None,
            ("Нужно ли разрешение на строительство дома?",),
            "Разрешение на строительство не требуется, подаётся уведомление.",
        ),
    )
    return Matcher(entries, Thresholds())


def test_site_address_in_an_answer_does_not_make_a_topic() -> None:
    ranked = _matcher().analyse("где находится администрация").ranked
    assert ranked[0].entry_id == "office-hours"


def test_prefixed_verb_meets_its_root_noun() -> None:
    ranked = _matcher().analyse("хочу построить баню, что нужно").ranked
    assert ranked[0].entry_id == "building-permit"
