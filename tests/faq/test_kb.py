from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from faq import FaqLibrary, KnowledgeBaseError, Outcome, Thresholds, load_knowledge_base
from faq.__main__ import main

GOOD = """- id: heating-season
  questions:
    - Когда включат отопление?
  answer: Отопление включают осенью.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (GOOD + "  qustions: [x]\n", "unknown key(s) 'qustions'"),
        ("- id: a\n  questions: [q]\n", "missing 'answer'"),
        ("- id: Heating_Season\n  questions: [q]\n  answer: a\n", "kebab-case"),
        ("- id: a\n  questions: []\n  answer: a\n", "'questions' must be a non-empty list"),
        ("- id: a\n  questions: [q\n  answer: a\n", "invalid YAML"),
        (GOOD + GOOD, "duplicate id"),
        ("id: a\n", "must be a list of entries"),
    ],
)
def test_structural_errors(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path / "kb.yaml", text)
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base([path])
    message = str(caught.value)
    assert reason in message
    assert str(path) in message


def test_error_names_file_entry_and_id(tmp_path: Path) -> None:
    path = write(tmp_path / "kb.yaml", GOOD + "- id: bus\n  questions: []\n  answer: a\n")
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base([path])
    assert f"{path}: entry 2 (bus): 'questions' must be a non-empty list" in str(caught.value)


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", GOOD)
    write(tmp_path / "b.yaml", GOOD)
    with pytest.raises(KnowledgeBaseError, match="duplicate id"):
        load_knowledge_base([tmp_path])


def test_folder_is_read_recursively(tmp_path: Path) -> None:
    write(tmp_path / "a.yaml", GOOD)
    write(
        tmp_path / "deep" / "er" / "b.yml",
        "- id: bus\n  questions: [Расписание автобусов]\n  answer: На сайте.\n",
    )
    write(tmp_path / "notes.txt", "not yaml")
    kb = load_knowledge_base([tmp_path])
    assert sorted(e.id for e in kb.entries) == ["bus", "heating-season"]


def test_missing_path_is_an_error_unless_optional(tmp_path: Path) -> None:
    base = write(tmp_path / "a.yaml", GOOD)
    local = tmp_path / "faq-local.yaml"
    with pytest.raises(KnowledgeBaseError, match="no such file"):
        FaqLibrary([base, local])
    library = FaqLibrary([base], optional_paths=[local])
    assert local in library.paths
    assert [e.id for e in library.entries] == ["heating-season"]


def test_check_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(tmp_path / "good.yaml", GOOD)
    assert main(["check", str(good)]) == 0
    bad = write(tmp_path / "bad.yaml", "- id: a\n  questions: [q]\n")
    assert main(["check", str(bad)]) == 1
    assert "missing 'answer'" in capsys.readouterr().out


def test_check_warns_about_near_duplicates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path / "kb.yaml",
        GOOD + "- id: heating-start\n  questions: [Когда включат отопление]\n  answer: Скоро.\n",
    )
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "near-duplicate" in out
    assert "heating-start" in out


def _bump(path: Path, text: str) -> None:
    before = path.stat().st_mtime_ns
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns == before:
        os.utime(path, ns=(time.time_ns(), before + 1_000_000))


def test_reload_if_changed(tmp_path: Path) -> None:
    path = write(tmp_path / "kb.yaml", GOOD)
    library = FaqLibrary([tmp_path], Thresholds(answer=30, suggest=10, margin=10))
    assert library.reload_if_changed() is False
    _bump(
        path,
        GOOD + "- id: bus\n  questions: [Где расписание автобусов]\n  answer: На сайте.\n",
    )
    assert library.reload_if_changed() is True
    assert library.entry("bus") is not None
    assert library.decide("расписание автобусов").entry_id == "bus"

    _bump(path, "- id: bus\n  questions: [\n")
    assert library.reload_if_changed() is True
    assert library.entry("bus") is not None
    assert library.reload() != []
    assert library.entry("heating-season") is not None

    write(tmp_path / "more.yaml", "- id: extra\n  questions: [Вопрос про парк]\n  answer: Да.\n")
    _bump(path, GOOD)
    assert library.reload_if_changed() is True
    assert library.entry("extra") is not None
    assert library.entry("bus") is None


def test_optional_file_is_picked_up_when_created(tmp_path: Path) -> None:
    base = write(tmp_path / "a.yaml", GOOD)
    local = tmp_path / "faq-local.yaml"
    library = FaqLibrary([base], optional_paths=[local])
    write(local, "- id: park\n  questions: [Когда откроют парк]\n  answer: Весной.\n")
    assert library.reload_if_changed() is True
    assert library.entry("park") is not None
    assert library.decide("когда откроют парк").outcome in {Outcome.ANSWER, Outcome.SUGGEST}
