"""The semantic port: encoder choice, the embeddings cache, the cascade and the thread.

A fake encoder stands in for the real ones here (pure unit tests): it maps words to a few
"meanings", so that a paraphrase without a shared word lands on its entry."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from faq import FaqEntry, FaqLibrary, Outcome, Thresholds
from faq.matcher import Matcher
from faq.semantic import MAX_ENCODER_CHARS, EncoderError, SemanticIndex, Vectors, load_encoder

_MEANINGS = {
    "отопление": 0,
    "тепло": 0,
    "холодно": 0,
    "дубак": 0,
    "колотун": 0,
    "вода": 1,
    "воду": 1,
    "воды": 1,
    "кран": 1,
    "мусор": 2,
    "вывозят": 2,
}


class FakeEncoder:
    name = "fake-1"

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.threads: list[int] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        self.threads.append(threading.get_ident())
        rows = np.full((len(texts), 4), 0.1, dtype=np.float32)
        for row, text in zip(rows, texts, strict=True):
            for word in text.lower().replace("?", " ").split():
                if word in _MEANINGS:
                    row[_MEANINGS[word]] += 1.0
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _entries() -> tuple[FaqEntry, ...]:
    return (
        FaqEntry(
            "heating",
            None,
            ("Когда включат отопление?", "Почему в квартире холодно?"),
            "Отопление включают после пяти холодных дней.",
        ),
        FaqEntry("water", None, ("Когда дадут воду?",), "Воду дают после ремонта."),
        FaqEntry("garbage", None, ("Когда вывозят мусор?",), "По вторникам."),
    )


def test_the_encoder_setting() -> None:
    assert load_encoder("none") is None
    with pytest.raises(EncoderError, match="FAQ_ENCODER"):
        load_encoder("word2vec")


def test_knowledge_base_embeddings_are_cached_by_content(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    first = SemanticIndex(_entries(), encoder, tmp_path)
    assert len(encoder.calls) == 1 and len(encoder.calls[0]) == 4
    again = SemanticIndex(_entries(), encoder, tmp_path)
    assert len(encoder.calls) == 1
    assert np.array_equal(first.questions, again.questions)
    changed = (*_entries(), FaqEntry("bus", None, ("Где расписание автобусов?",), "На сайте."))
    SemanticIndex(changed, encoder, tmp_path)
    assert len(encoder.calls) == 2
    assert len(list(tmp_path.glob("faq-*.npy"))) == 2


def test_a_message_is_encoded_on_its_beginning() -> None:
    encoder = FakeEncoder()
    index = SemanticIndex(_entries(), encoder)
    similarity = index.similarity("дубак " * 500)
    assert len(encoder.calls[-1][0]) == MAX_ENCODER_CHARS
    assert int(np.argmax(similarity)) == 0


def test_the_encoder_is_asked_only_where_the_lexical_ranking_is_uncertain() -> None:
    encoder = FakeEncoder()
    matcher = Matcher(_entries(), Thresholds(), semantic=SemanticIndex(_entries(), encoder))
    encoded = len(encoder.calls)
    assert matcher.decide("Когда включат отопление?").entry_id == "heating"  # as written
    assert matcher.decide("спасибо").outcome is Outcome.SMALL_TALK
    assert len(encoder.calls) == encoded
    matcher.decide("в хате колотун, это к кому")
    assert len(encoder.calls) == encoded + 1


def test_a_paraphrase_without_shared_words_is_offered_its_entry() -> None:
    lexical = Matcher(_entries(), Thresholds())
    semantic = Matcher(_entries(), Thresholds(), semantic=SemanticIndex(_entries(), FakeEncoder()))
    text = "дубак дома, когда дадут"
    assert lexical.analyse(text).ranked[0].entry_id != "heating"
    analysis = semantic.examine(text)
    assert analysis.semantic
    assert analysis.ranked[0].entry_id == "heating"
    assert semantic.judge(analysis).entry_id != "water"


def test_without_an_encoder_the_library_matches_lexically(tmp_path: Path) -> None:
    kb = tmp_path / "kb.yaml"
    kb.write_text(
        "- id: heating\n  questions:\n    - Когда включат отопление?\n  answer: Осенью.\n",
        encoding="utf-8",
    )
    library = FaqLibrary([kb], Thresholds())
    assert library.semantic is None
    assert library.decide("кагда включат атопление").entry_id == "heating"


def test_the_bot_runs_the_encoder_off_the_event_loop(tmp_path: Path) -> None:
    kb = tmp_path / "kb.yaml"
    kb.write_text(
        "- id: heating\n  questions:\n    - Когда включат отопление?\n  answer: Осенью.\n"
        "- id: water\n  questions:\n    - Когда дадут воду?\n  answer: Завтра.\n",
        encoding="utf-8",
    )
    encoder = FakeEncoder()
    library = FaqLibrary([kb], Thresholds(), encoder=encoder, cache_dir=tmp_path / "cache")
    loop_thread = threading.get_ident()
    encoded = len(encoder.calls)
    asyncio.run(library.decide_async("колотун дома, когда дадут"))
    assert len(encoder.calls) == encoded + 1
    assert encoder.threads[-1] != loop_thread
