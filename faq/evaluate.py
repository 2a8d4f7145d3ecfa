"""`python -m faq eval`: how the FAQ decides a labelled set of questions."""

from __future__ import annotations

import csv
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faq.decision import Decision
from faq.library import FaqLibrary

log = logging.getLogger(__name__)

NOT_ANSWERED = "-"


@dataclass(frozen=True, slots=True)
class Row:
    question: str
    expected_id: str
    kind: str


def read_rows(path: Path) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        missing = {"question", "expected_id", "kind"} - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
        rows = [
            Row(raw["question"] or "", (raw["expected_id"] or "").strip(), raw["kind"].strip())
            for raw in reader
        ]
    for number, row in enumerate(rows, start=2):
        if row.kind not in {"match", "escalate"}:
            raise ValueError(f"{path}: line {number}: kind must be match or escalate")
    return rows


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def evaluate(library: FaqLibrary, rows: list[Row]) -> tuple[dict[str, Any], list[str]]:
    """Metrics as documented for the eval command, and readable lines for the misses."""
    correct = match_rows = match_right = one_tap = escalate_rows = escalate_ok = wrong = 0
    timings: list[float] = []
    misses: list[str] = []
    for row in rows:
        started = time.perf_counter()
        decision: Decision = library.decide(row.question)
        timings.append((time.perf_counter() - started) * 1000)
        answered = decision.entry_id
        suggested = decision.suggestions
        if row.kind == "match":
            match_rows += 1
            right = answered == row.expected_id
            match_right += right
            one_tap += right or row.expected_id in suggested
            wrong += answered is not None and not right
        else:
            escalate_rows += 1
            right = answered is None
            escalate_ok += right
            wrong += not right
        correct += right
        if not right:
            top = " ".join(f"{c.entry_id}:{c.score:.0f}" for c in decision.candidates)
            misses.append(
                f"{row.kind:<8} {row.expected_id:<26} {decision.outcome.value:<10} "
                f"{top:<60} {row.question}"
            )
    metrics: dict[str, Any] = {
        "rows": len(rows),
        "overall": round(correct / len(rows), 4) if rows else 0.0,
        "match_accuracy": round(match_right / match_rows, 4) if match_rows else 0.0,
        "one_tap": round(one_tap / match_rows, 4) if match_rows else 0.0,
        "escalate_ok": round(escalate_ok / escalate_rows, 4) if escalate_rows else 0.0,
        "wrong_answers": wrong,
        "p50_ms": round(_percentile(timings, 0.5), 3),
        "p99_ms": round(_percentile(timings, 0.99), 3),
    }
    return metrics, misses


def run_eval(library: FaqLibrary, questions: Path) -> int:
    rows = read_rows(questions)
    log.info("evaluating %d rows against %d entries", len(rows), len(library.entries))
    for row in rows:
        if row.kind == "match" and library.entry(row.expected_id) is None:
            log.warning("expected id %s is not in the knowledge base", row.expected_id)
    metrics, misses = evaluate(library, rows)
    if misses:
        print(f"{'kind':<8} {'expected':<26} {'outcome':<10} {'candidates':<60} question")
        for line in misses:
            print(line)
    print(f"{len(misses)} of {len(rows)} rows decided wrongly")
    print(json.dumps(metrics, ensure_ascii=False))
    return 0
