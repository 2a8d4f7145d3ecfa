"""`python -m faq eval` and `fit`: how the FAQ decides a labelled set, and its calibration."""

from __future__ import annotations

import csv
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from faq.decision import Decision, Thresholds
from faq.library import FaqLibrary
from faq.matcher import FEATURES, SEMANTIC_FEATURES, Analysis, Matcher, Model

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
    return evaluate_with(library.decide, rows)


def evaluate_with(
    decide: Callable[[str], Decision], rows: list[Row]
) -> tuple[dict[str, Any], list[str]]:
    correct = match_rows = match_right = one_tap = escalate_rows = escalate_ok = wrong = 0
    first = listed = 0
    timings: list[float] = []
    misses: list[str] = []
    for row in rows:
        started = time.perf_counter()
        decision = decide(row.question)
        timings.append((time.perf_counter() - started) * 1000)
        answered = decision.entry_id
        suggested = decision.suggestions
        if row.kind == "match":
            match_rows += 1
            right = answered == row.expected_id
            match_right += right
            one_tap += right or row.expected_id in suggested
            wrong += answered is not None and not right
            ranked = [c.entry_id for c in decision.candidates]
            first += ranked[:1] == [row.expected_id]
            listed += row.expected_id in ranked
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
        "top1": round(first / match_rows, 4) if match_rows else 0.0,
        "top3": round(listed / match_rows, 4) if match_rows else 0.0,
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


# L2 penalty of the logistic fit: the dev set is small, so weights are kept modest.
RIDGE = 0.3


def _logistic_fit(features: npt.NDArray[np.float64], labels: npt.NDArray[np.float64]) -> Any:
    """Newton's method for L2-regularised logistic regression; the intercept is not penalised."""
    design = np.hstack([np.ones((len(features), 1)), features])
    weights = np.zeros(design.shape[1])
    penalty = np.full(design.shape[1], RIDGE)
    penalty[0] = 0.0
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ weights))
        gradient = design.T @ (p - labels) + penalty * weights
        hessian = design.T @ (design * (p * (1 - p))[:, None]) + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def _model_from(
    analyses: list[tuple[Analysis, Row]], features: tuple[str, ...] = FEATURES
) -> Model:
    # Only messages the model decides on: small talk and staff signals are settled before.
    usable = [
        (a.evidence, row, a)
        for a, row in analyses
        if a.evidence is not None
        and a.small_talk is None
        and not a.signal.escalate
        and not a.signal.doubt
    ]
    values = np.array([e.vector(features) for e, _, _ in usable])
    right = np.array(
        [row.kind == "match" and a.ranked[0].entry_id == row.expected_id for _, row, a in usable],
        dtype=np.float64,
    )
    listed = np.array(
        [
            row.kind == "match" and row.expected_id in {c.entry_id for c in a.ranked}
            for _, row, a in usable
        ],
        dtype=np.float64,
    )
    return Model(
        tuple(round(float(w), 3) for w in _logistic_fit(values, right)),
        tuple(round(float(w), 3) for w in _logistic_fit(values, listed)),
        features,
    )


_Analysed = list[tuple[Analysis, Analysis, Row]]


def _models_from(analysed: _Analysed, semantic: bool) -> tuple[Model, Model | None]:
    """The lexical model, fitted on every row's lexical analysis, and with an encoder the
    semantic model, fitted on the rows the semantic signal re-ranked."""
    lexical = _model_from([(plain, row) for plain, _, row in analysed])
    if not semantic:
        return lexical, None
    refined = [(full, row) for _, full, row in analysed if full.semantic]
    return lexical, _model_from(refined, SEMANTIC_FEATURES)


def run_fit(library: FaqLibrary, question_files: list[Path]) -> int:
    """Fit the decision models on all rows of the labelled sets and print the weights to
    paste into `faq.matcher.MODEL` (and, with an encoder, `SEMANTIC_MODEL`), with held-out
    figures: with several sets, each fitted on the others and scored on itself
    (cross-fitted); with one, even rows against odd.

    The held-out figures are printed for a range of answer thresholds so that the default
    can be chosen on data the weights never saw; the per-part lines also give the ranking
    accuracy (top1, top3) of each part, which does not depend on the model."""
    sets = [read_rows(path) for path in question_files]
    limits = library.thresholds
    semantic = library.semantic
    matcher = Matcher(library.entries, limits, semantic=semantic)
    analysed: list[_Analysed] = [
        [(matcher.analyse(row.question), matcher.examine(row.question), row) for row in rows]
        for rows in sets
    ]
    with_encoder = semantic is not None
    if len(sets) > 1:
        folds = [
            (
                f"→{path.name}",
                _models_from(
                    [a for other, part in enumerate(analysed) if other != k for a in part],
                    with_encoder,
                ),
                sets[k],
            )
            for k, path in enumerate(question_files)
        ]
    else:
        folds = [
            (name, _models_from(analysed[0][fit_part::2], with_encoder), sets[0][test_part::2])
            for name, fit_part, test_part in (("even→odd", 0, 1), ("odd→even", 1, 0))
        ]

    def decide(limits: Thresholds, models: tuple[Model, Model | None]) -> Callable[[str], Decision]:
        return Matcher(library.entries, limits, models[0], semantic, models[1]).decide

    for answer in range(30, 100, 5):
        trial = Thresholds(max(answer, limits.suggest), limits.suggest, limits.margin)
        found = []
        for name, models, part in folds:
            metrics, _ = evaluate_with(decide(trial, models), part)
            found.append(
                f"{name} overall {metrics['overall']:.3f} one_tap {metrics['one_tap']:.3f} "
                f"wrong {metrics['wrong_answers']}"
            )
        print(f"answer ≥ {answer}: " + " | ".join(found))
    for name, models, part in folds:
        metrics, _ = evaluate_with(decide(limits, models), part)
        print(f"{name} at {limits}: {json.dumps(metrics, ensure_ascii=False)}")
    models = _models_from([a for part in analysed for a in part], with_encoder)
    for path, rows in zip(question_files, sets, strict=True):
        metrics, _ = evaluate_with(decide(limits, models), rows)
        print(f"{path.name} (in-sample): {json.dumps(metrics, ensure_ascii=False)}")
    for label, model in zip(("MODEL", "SEMANTIC_MODEL"), models, strict=True):
        if model is not None:
            print(f"{label} features: {', '.join(('intercept', *model.features))}")
            print(f"right_weights={model.right_weights},")
            print(f"listed_weights={model.listed_weights},")
    return 0
