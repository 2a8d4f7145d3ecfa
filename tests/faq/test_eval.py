from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from faq import FaqLibrary
from faq.evaluate import evaluate, read_rows
from faq.matcher import FEATURES
from tests.faq.conftest import DATA

ROOT = Path(__file__).resolve().parents[2]


def test_eval_command_reports_exact_numbers() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "faq",
            "eval",
            str(DATA / "mini_kb.yaml"),
            str(DATA / "mini_questions.tsv"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "FAQ_ANSWER_THRESHOLD": "30", "FAQ_SUGGEST_THRESHOLD": "10"},
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["rows"] == 4
    assert metrics["overall"] == 1.0
    assert metrics["match_accuracy"] == 1.0
    assert metrics["one_tap"] == 1.0
    assert metrics["escalate_ok"] == 1.0
    assert metrics["wrong_answers"] == 0
    assert metrics["p99_ms"] >= metrics["p50_ms"] >= 0


def test_eval_counts_wrong_answers(tmp_path: Path) -> None:
    questions = tmp_path / "q.tsv"
    questions.write_text(
        "question\texpected_id\tkind\n"
        "когда включат отопление\tbus-schedule\tmatch\n"
        "где расписание автобусов\t-\tescalate\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "faq", "eval", str(DATA / "mini_kb.yaml"), str(questions)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "FAQ_ANSWER_THRESHOLD": "30", "FAQ_SUGGEST_THRESHOLD": "10"},
    )
    metrics = json.loads(result.stdout.strip().splitlines()[-1])
    assert metrics["overall"] == 0.0
    assert metrics["wrong_answers"] == 2
    assert "bus-schedule" in result.stdout


def test_sample_knowledge_base_answers_its_own_questions_and_never_wrongly(
    sample_library: FaqLibrary,
) -> None:
    """Resident messages written for the sample knowledge base (not the development set):
    typos, slang, transliteration and stories, incidents, own cases and off-topic chatter."""
    rows = read_rows(DATA / "sample_questions.tsv")
    metrics, misses = evaluate(sample_library, rows)
    assert metrics["rows"] == 64
    assert metrics["wrong_answers"] == 0, misses
    assert metrics["one_tap"] == 1.0, misses
    assert metrics["overall"] >= 0.95, misses


def test_fit_on_two_sets_prints_cross_fitted_figures(tmp_path: Path) -> None:
    lines = (DATA / "sample_questions.tsv").read_text(encoding="utf-8").splitlines()
    first, second = tmp_path / "first.tsv", tmp_path / "second.tsv"
    first.write_text("\n".join([lines[0], *lines[1::2]]) + "\n", encoding="utf-8")
    second.write_text("\n".join([lines[0], *lines[2::2]]) + "\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "faq", "fit", str(ROOT / "faq" / "sample"), str(first), str(second)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "→first.tsv at " in out and "→second.tsv at " in out
    assert "first.tsv (in-sample): " in out and "second.tsv (in-sample): " in out
    weights = next(line for line in out.splitlines() if line.startswith("right_weights="))
    assert len(weights.split(",")) - 1 == 1 + len(FEATURES)
