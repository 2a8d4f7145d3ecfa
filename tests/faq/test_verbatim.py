"""Every question written in a knowledge base is answered with its own entry: as written,
and with one or two typical typos (an unstressed vowel swapped) in its longest words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faq import FaqEntry, FaqLibrary, Thresholds
from faq.matcher import Matcher

from .conftest import DATA, SAMPLE

_SWAPS = {"о": "а", "а": "о", "е": "и", "и": "е"}


def _typo(word: str, which: int) -> str:
    vowels = [i for i, char in enumerate(word) if char in _SWAPS and i > 0]
    if not vowels:
        return word
    i = vowels[which % len(vowels)]
    return word[:i] + _SWAPS[word[i]] + word[i + 1 :]


def with_typos(question: str, count: int) -> str:
    """The question with a typo in each of its `count` longest words (5 letters or more)."""
    words = sorted(
        {w for w in re.findall(r"\w+", question) if len(w) >= 5}, key=lambda w: (-len(w), w)
    )
    for which, word in enumerate(words[:count]):
        question = re.sub(rf"\b{word}\b", _typo(word, which), question, count=1)
    return question


def test_typos_change_the_question() -> None:
    assert with_typos("Когда включат отопление в домах?", 1) == "Когда включат отапление в домах?"
    assert with_typos("Когда включат отопление в домах?", 2) == "Когда включот отапление в домах?"


@pytest.mark.parametrize("kb", [SAMPLE, DATA / "district_kb.yaml"], ids=["sample", "district"])
@pytest.mark.parametrize("typos", [0, 1, 2])
def test_every_knowledge_base_question_is_answered_with_its_entry(kb: Path, typos: int) -> None:
    library = FaqLibrary([kb], Thresholds())
    missed = [
        (entry.id, asked, library.decide(asked).entry_id)
        for entry in library.entries
        for asked in (with_typos(question, typos) for question in entry.questions)
        if library.decide(asked).entry_id != entry.id
    ]
    assert missed == []


def _entry(entry_id: str, *questions: str) -> FaqEntry:
    return FaqEntry(entry_id, None, questions, f"Ответ {entry_id}.")


def test_a_close_competitor_does_not_hold_back_a_question_as_written() -> None:
    matcher = Matcher(
        (
            _entry("heating-season", "Когда включат отопление в домах?"),
            _entry("no-heating", "Почему в доме не включили отопление?", "В домах холодно"),
        ),
        Thresholds(),
    )
    decision = matcher.decide("когда включат атопление в домах")
    assert decision.entry_id == "heating-season"


def test_a_question_two_entries_share_is_not_answered_on_its_wording() -> None:
    shared = "Куда обращаться по поводу отопления?"
    alone = Matcher((_entry("heating", shared), _entry("water", "Когда дадут воду?")), Thresholds())
    twins = Matcher((_entry("heating", shared), _entry("boiler", shared)), Thresholds())
    assert alone.analyse(shared).verbatim == "heating"
    assert twins.analyse(shared).verbatim is None
